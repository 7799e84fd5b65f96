; Inno Setup script of the Windows installer: dist\simfinder-VERSION-setup.exe from the
; one-folder bundle of packaging\build.py (build\bundle\simfinder). Built by
; packaging\build-windows.ps1 (the CI job on windows-latest, where Inno Setup 6 is installed):
;   iscc /DAppVersion=0.1.0 /DBundle=build\bundle\simfinder packaging\windows\simfinder.iss
; Per-user install by default (no administrator rights needed), all users on request. The
; Start menu entry opens the app; "Open with > simfinder" on an image searches with it.
; Uninstalling removes the program only: the library in %LOCALAPPDATA%\simfinder stays.

#ifndef AppVersion
  #error Pass /DAppVersion=VERSION
#endif
#ifndef Bundle
  #define Bundle "..\..\build\bundle\simfinder"
#endif

[Setup]
AppId={{6F0C2B57-3E0B-4E63-9C56-1D4C3E9B7A21}
AppName=simfinder
AppVersion={#AppVersion}
AppVerName=simfinder {#AppVersion}
AppPublisher=The simfinder developers
DefaultDirName={autopf}\simfinder
DefaultGroupName=simfinder
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=simfinder-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\simfinder.ico
UninstallDisplayIcon={app}\simfinder.exe
LicenseFile=..\..\LICENSE
Compression=lzma2/ultra64
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Bundle}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\simfinder"; Filename: "{app}\simfinder.exe"
Name: "{autodesktop}\simfinder"; Filename: "{app}\simfinder.exe"; Tasks: desktopicon

[Registry]
; "Open with" for images: the application registration and the types it opens.
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "simfinder"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\shell\open\command"; ValueType: string; ValueData: """{app}\simfinder.exe"" gui ""%1"""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".jpeg"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".webp"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".heic"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".tif"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".tiff"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".bmp"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\Applications\simfinder.exe\SupportedTypes"; ValueType: string; ValueName: ".gif"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\.jpg\OpenWithList\simfinder.exe"; ValueType: string; ValueData: ""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.jpeg\OpenWithList\simfinder.exe"; ValueType: string; ValueData: ""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.png\OpenWithList\simfinder.exe"; ValueType: string; ValueData: ""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.webp\OpenWithList\simfinder.exe"; ValueType: string; ValueData: ""; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\.heic\OpenWithList\simfinder.exe"; ValueType: string; ValueData: ""; Flags: uninsdeletekey

[Run]
Filename: "{app}\simfinder.exe"; Description: "{cm:LaunchProgram,simfinder}"; Flags: nowait postinstall skipifsilent
