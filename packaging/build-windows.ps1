# Build the Windows installer: dist\simfinder-VERSION-setup.exe (Inno Setup over the one-folder
# bundle of packaging\build.py). Run from the repository on Windows with Python 3.11 and Inno
# Setup 6 (iscc) installed; the CI job .github\workflows\installers.yml does exactly this.
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)
if (-not (Test-Path .venv\Scripts\python.exe)) { python -m venv .venv }
.venv\Scripts\python -m pip install -q --upgrade pip
.venv\Scripts\python -m pip install -q -c constraints.txt -e .
if ($LASTEXITCODE) { throw "pip install failed" }
$version = (.venv\Scripts\python -c "import simfinder; print(simfinder.__version__)").Trim()
.venv\Scripts\python packaging\build.py
if ($LASTEXITCODE) { throw "build.py failed" }
$iscc = (Get-Command iscc -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $iscc /Qp "/DAppVersion=$version" "/DBundle=$PWD\build\bundle\simfinder" packaging\windows\simfinder.iss
if ($LASTEXITCODE) { throw "iscc failed" }
Get-Item "dist\simfinder-$version-setup.exe"
