"""The main window: folders on the left, the gallery in the middle, similar photos on the right;
indexing in the background with its progress in the status bar."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from simfinder.app.gallery import BackgroundEmbedderProvider, folder_of, subfolder_counts
from simfinder.app.usecases import EmbedderProvider, ForgetReport, IndexRun
from simfinder.core.actions import ActionReport, BatchSummary, UndoReport
from simfinder.core.catalog import ROW_PATH, OfflineFolder, PhotoRecord, ReviewState
from simfinder.core.library import THUMBS_DIR
from simfinder.core.progress import Progress
from simfinder.core.search import SimilarHit
from simfinder.core.similarity import Strictness
from simfinder.core.thumbs import ThumbnailCache
from simfinder.gui import desktop
from simfinder.gui.about import about_html
from simfinder.gui.decisions_panel import DecisionsDock
from simfinder.gui.dropsearch import DropContents, might_hold_something, read_mime, save_for_search
from simfinder.gui.duplicates import DuplicatesPanel
from simfinder.gui.gallery import (
    MAX_THUMB,
    MIN_THUMB,
    GalleryDelegate,
    GalleryFilter,
    GalleryModel,
    GalleryView,
    RecordRole,
    SortOrder,
)
from simfinder.gui.images import load_photo
from simfinder.gui.preview import PreviewDialog
from simfinder.gui.problems import ProblemsDock
from simfinder.gui.review_controller import ReviewController
from simfinder.gui.settings import AppSettings, SettingsDialog
from simfinder.gui.similar_panel import QueryTarget, SimilarPanel
from simfinder.gui.tasks import TaskRunner
from simfinder.gui.thumbnails import ThumbnailStore
from simfinder.gui.words import counted
from simfinder.gui.workers import (
    EmbedderFactory,
    GroupsController,
    IndexController,
    LibraryUpdate,
    QueryController,
)

log = logging.getLogger(__name__)

_ALL = "__all__"


def _icon(widget: QWidget, theme: str, fallback: QStyle.StandardPixmap) -> QIcon:
    return QIcon.fromTheme(theme, widget.style().standardIcon(fallback))


def _photo_glyph(widget: QWidget, side: int) -> QPixmap:
    """A small picture-frame glyph (for the two ends of the thumbnail-size slider)."""
    pix = QPixmap(20, 20)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = widget.palette().color(QPalette.ColorRole.WindowText)
    painter.setPen(QPen(color, 1.4))
    left = (20 - side) / 2
    top = (20 - side * 0.8) / 2
    painter.drawRoundedRect(QRectF(left, top, side, side * 0.8), 1.5, 1.5)
    mountain = QPolygonF([QPointF(left + 1, top + side * 0.8 - 1),
                          QPointF(left + side * 0.4, top + side * 0.35),
                          QPointF(left + side * 0.65, top + side * 0.6),
                          QPointF(left + side - 1, top + side * 0.8 - 1)])
    painter.setBrush(color)
    painter.drawPolygon(mountain)
    painter.end()
    return pix


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s" if minutes < 10 else f"{minutes} min"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"



_ACTION_WORDS = {"trash": "Moving to the trash:", "move": "Moving:", "undo": "Putting back:"}


class EmptyState(QWidget):
    """What the gallery area shows while the library has no photos."""

    add_folder_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        self.icon = QLabel(self)
        self.icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_DirOpenIcon).pixmap(QSize(72, 72)))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.icon)
        self.title = QLabel(self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setMaximumWidth(520)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.text)
        row.addStretch(1)
        layout.addLayout(row)
        self.button = QPushButton(self.style().standardIcon(
            QStyle.StandardPixmap.SP_DirOpenIcon), "Add a Photo Folder…", self)
        self.button.setDefault(True)
        self.button.setMinimumHeight(36)
        self.button.clicked.connect(self.add_folder_clicked)
        row2 = QHBoxLayout()
        row2.addStretch(1)
        row2.addWidget(self.button)
        row2.addStretch(1)
        layout.addSpacing(12)
        layout.addLayout(row2)
        layout.addStretch(3)
        self.show_welcome()

    def show_welcome(self) -> None:
        self.title.setText("Find duplicate and similar photos")
        self.text.setText(
            "Add a folder of photos to get started: simfinder indexes it in the background, "
            "on this computer; nothing is uploaded and your photos are only read.\n\n"
            "You can also drop a folder onto this window.")
        self.button.setVisible(True)

    def show_indexing(self) -> None:
        self.title.setText("Looking for photos…")
        self.text.setText("Photos appear here as soon as they are indexed.")
        self.button.setVisible(False)

    def show_no_photos(self) -> None:
        self.title.setText("No photos found")
        self.text.setText("The folders in the library hold no photos simfinder can read. "
                          "Add another folder, or see View > Problems for files that could not "
                          "be read.")
        self.button.setVisible(True)


# The first window's size where the screen allows; the layout fits down to 1024x768 screens.
PREFERRED_SIZE = QSize(1320, 840)
# What window frames and title bars take at most around the window: kept free on the screen.
FRAME_MARGIN = QSize(16, 48)


def first_window_geometry(available: QRect) -> QRect:
    """The first window's place: PREFERRED_SIZE or as much of the screen's free area as fits
    with its frame, centred on it."""
    size = PREFERRED_SIZE.boundedTo(available.size() - FRAME_MARGIN)
    rect = QRect(QPoint(0, 0), size)
    rect.moveCenter(available.center())
    return rect


class MainWindow(QMainWindow):
    def __init__(
        self,
        library_root: Path,
        settings: AppSettings,
        *,
        embedder: EmbedderFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("simfinder-main")
        self.library_root = Path(library_root)
        self.settings = settings
        settings.use_library(self.library_root)  # what changes results is the library's
        self.embedder: EmbedderFactory = embedder or BackgroundEmbedderProvider(settings.device)
        self.setWindowTitle("simfinder")
        self.setAcceptDrops(True)
        self._temp_dir = Path(tempfile.mkdtemp(prefix="simfinder-search-"))
        self._paste_serial = 0
        self._folders: list[str] = []
        self._counts: dict[str, int] = {}  # photos per folder
        self._offline: dict[str, OfflineFolder] = {}  # folders kept while they cannot be seen
        self._unreadable: list[tuple[str, str]] = []
        self._snapshot_seen = False
        self._unfinished_runs: list[IndexRun] = []  # paused or stopped since the last finish

        self.thumbnails = ThumbnailStore(ThumbnailCache(self.library_root / THUMBS_DIR),
                                         parent=self)
        self.tasks = TaskRunner(threads=1, parent=self)
        self.indexer = IndexController(self.library_root, self.embedder, self)
        self.query = QueryController(self.library_root, self.embedder, self)
        self.groups = GroupsController(self.library_root, self)
        self.review = ReviewController(self.library_root, self)
        self._decisions_shown = False
        self.undoable: BatchSummary | None = None

        self._build_gallery()
        self.panel = SimilarPanel(self.thumbnails, self)
        self.duplicates = DuplicatesPanel(self.thumbnails, settings, self.groups, self.indexer,
                                          self.tasks, self.review, self)
        self._build_sidebar()
        self._build_central()
        self._build_actions()
        self._build_menus_and_toolbar()
        self._build_status_bar()
        self.problems = ProblemsDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.problems)
        self.problems.hide()
        self.problems.visibilityChanged.connect(
            lambda visible: self.act_problems.setChecked(visible))
        self.problems.show_in_folder_requested.connect(self.show_in_folder)
        self.decisions = DecisionsDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.decisions)
        self.decisions.hide()
        self.decisions.visibilityChanged.connect(
            lambda visible: self.act_decisions.setChecked(visible))
        self.preview = PreviewDialog(self.tasks, self)
        self.settings_dialog: SettingsDialog | None = None
        self._connect()

        geometry, state = settings.window_state()
        # The first window fits the screen's free area; later ones come back as the user left
        # them (Qt shrinks a saved geometry that no longer fits, on a smaller screen say).
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen() or QGuiApplication.primaryScreen()
            if screen is not None:
                self.setGeometry(first_window_geometry(screen.availableGeometry()))
        if state is not None:
            self.restoreState(state)
        self.problems.hide()
        self.decisions.hide()
        self._update_actions()
        self._update_empty_state()
        self._update_library_label()

    # -- construction -----------------------------------------------------------------------

    def _build_gallery(self) -> None:
        self.model = GalleryModel(self.thumbnails, self)
        self.model.set_order(self.settings.sort_order)
        self.proxy = GalleryFilter(self)
        self.proxy.setSourceModel(self.model)
        self.view = GalleryView(self)
        self.view.setModel(self.proxy)
        self.delegate = GalleryDelegate(self.thumbnails, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setAccessibleName("Photo gallery")

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter by name (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAcceptDrops(False)
        self.filter_edit.setMinimumWidth(150)
        self.filter_edit.setMaximumWidth(300)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(150)
        self._filter_timer.timeout.connect(
            lambda: self._apply_filter_text(self.filter_edit.text()))
        self.filter_edit.textChanged.connect(lambda _: self._filter_timer.start())

        self.sort_combo = QComboBox(self)
        for order in SortOrder:
            self.sort_combo.addItem(f"Sort: {order.label}", order.value)
        self.sort_combo.setCurrentIndex(list(SortOrder).index(self.model.order))
        self.sort_combo.setToolTip("Order of the photos")

        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(MIN_THUMB, MAX_THUMB)
        self.size_slider.setSingleStep(8)
        self.size_slider.setPageStep(32)
        self.size_slider.setMinimumWidth(80)
        self.size_slider.setMaximumWidth(140)
        self.size_slider.setToolTip("Thumbnail size (Ctrl+mouse wheel on the gallery)")
        self.size_slider.setValue(self.settings.thumbnail_size)
        self._set_thumbnail_size(self.settings.thumbnail_size, save=False)

        self.count_label = QLabel(self)
        self.count_label.setStyleSheet("color: gray")
        self.count_label.setMinimumWidth(90)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(1000)
        self._counts_timer.timeout.connect(lambda: self._refresh_folder_counts())

    def _build_sidebar(self) -> None:
        self.sidebar = QWidget(self)
        layout = QVBoxLayout(self.sidebar)
        layout.setContentsMargins(6, 8, 0, 6)
        title = QLabel("Folders", self.sidebar)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        # The library's folders with their subfolders: a click narrows the gallery to one.
        self.folder_list = QTreeWidget(self.sidebar)
        self.folder_list.setHeaderHidden(True)
        self.folder_list.setColumnCount(1)
        self.folder_list.setIndentation(14)
        self.folder_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.folder_list.setFrameShape(QFrame.Shape.NoFrame)
        self.folder_list.setIconSize(QSize(18, 18))
        self.folder_list.setAccessibleName("Library folders")
        layout.addWidget(self.folder_list, 1)
        self.add_folder_button = QPushButton("Add Folder…", self.sidebar)
        self.add_folder_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_DirOpenIcon))
        self.add_folder_button.setToolTip("Add a photo folder to the library (Ctrl+O)")
        layout.addWidget(self.add_folder_button)
        self.sidebar.setMinimumWidth(150)
        self._fill_folder_list()

    def _build_central(self) -> None:
        gallery_area = QWidget(self)
        v = QVBoxLayout(gallery_area)
        v.setContentsMargins(0, 6, 0, 0)
        v.setSpacing(4)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 6, 0)
        bar.addWidget(self.filter_edit)
        bar.addWidget(self.sort_combo)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        bar.addSpacing(12)
        small = QLabel(self)
        small.setPixmap(_photo_glyph(self, 10))
        small.setToolTip("Smaller thumbnails (Ctrl+-)")
        big = QLabel(self)
        big.setPixmap(_photo_glyph(self, 18))
        big.setToolTip("Bigger thumbnails (Ctrl++)")
        bar.addWidget(small)
        bar.addWidget(self.size_slider)
        bar.addWidget(big)
        v.addLayout(bar)
        self.stack = QStackedWidget(self)
        self.empty_state = EmptyState(self)
        self.stack.addWidget(self.empty_state)
        self.stack.addWidget(self.view)
        v.addWidget(self.stack, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(gallery_area)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([210, 760, 350])
        self.splitter.setChildrenCollapsible(False)
        # Two modes: the gallery (with folders and similar photos) and the duplicates review.
        self.modes = QStackedWidget(self)
        self.modes.addWidget(self.splitter)
        self.modes.addWidget(self.duplicates)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self._build_resume_bar(central)
        column.addWidget(self.resume_bar)
        column.addWidget(self.modes, 1)
        self.setCentralWidget(central)

        self.drop_overlay = QLabel(self.modes)
        self.drop_overlay.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.drop_overlay.setStyleSheet(
            "background: rgba(40, 110, 200, 60); border: 3px dashed rgba(40, 110, 200, 200);"
            "border-radius: 12px; font-size: 18pt; color: palette(text);")
        self.drop_overlay.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.drop_overlay.hide()

    def _build_resume_bar(self, parent: QWidget) -> None:
        """The offer to continue a review saved earlier (shown on start when there is one)."""
        self.resume_bar = QFrame(parent)
        self.resume_bar.setObjectName("resume-bar")
        self.resume_bar.setStyleSheet(
            "#resume-bar { background: rgba(40, 110, 200, 28);"
            " border-bottom: 1px solid rgba(40, 110, 200, 90); }")
        row = QHBoxLayout(self.resume_bar)
        row.setContentsMargins(10, 6, 10, 6)
        self.resume_label = QLabel(self.resume_bar)
        self.resume_label.setWordWrap(True)
        self.resume_button = QPushButton("Continue Review", self.resume_bar)
        self.resume_button.setDefault(True)
        self.start_over_button = QPushButton("Start Over", self.resume_bar)
        self.start_over_button.setToolTip("Forget the marks and the groups marked done (your "
                                          "decisions stay)")
        later = QToolButton(self.resume_bar)
        later.setAutoRaise(True)
        later.setText("\u2715")
        later.setToolTip("Not now (the review stays saved)")
        row.addWidget(self.resume_label, 1)
        row.addWidget(self.resume_button)
        row.addWidget(self.start_over_button)
        row.addWidget(later)
        self.resume_button.clicked.connect(self.continue_review)
        self.start_over_button.clicked.connect(self.start_review_over)
        later.clicked.connect(self.resume_bar.hide)
        self.resume_bar.hide()

    def _build_actions(self) -> None:
        def action(text: str, icon: QIcon | None, shortcut: QKeySequence | str | None,
                   tip: str, slot: object) -> QAction:
            act = QAction(text, self)
            if icon is not None:
                act.setIcon(icon)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
            act.setToolTip(tip)
            act.setStatusTip(tip)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        sp = QStyle.StandardPixmap
        self.act_add_folder = action(
            "&Add Folder…", _icon(self, "folder-new", sp.SP_DirOpenIcon),
            QKeySequence.StandardKey.Open, "Add a photo folder to the library (Ctrl+O)",
            self.choose_folder)
        self.act_rescan = action(
            "&Rescan", _icon(self, "view-refresh", sp.SP_BrowserReload), "F5",
            "Look for new, changed and deleted photos in every folder (F5)", self.rescan)
        self.act_pause = action(
            "&Pause", _icon(self, "media-playback-pause", sp.SP_MediaPause), None,
            "Pause indexing; it resumes where it stopped", self.toggle_pause)
        self.act_stop = action(
            "&Stop", _icon(self, "process-stop", sp.SP_MediaStop), "Esc",
            "Stop indexing (Esc); the next rescan or start resumes it", self.stop_indexing)
        self.act_search_file = action(
            "Search with &Image…", _icon(self, "edit-find", sp.SP_FileDialogContentsView),
            "Ctrl+Shift+O", "Find photos like an image file, without adding it to the library",
            self.choose_image_to_search)
        self.act_paste = action(
            # The theme's paste icon or none: the fallback that was here is a check mark,
            # which made the menu item look like an option turned on.
            "&Paste Image to Search", QIcon.fromTheme("edit-paste"),
            QKeySequence.StandardKey.Paste,
            "Search the library with the image on the clipboard (Ctrl+V)", self.paste_search)
        self.act_filter = action(
            "&Filter by Name", None, QKeySequence.StandardKey.Find,
            "Show only photos whose name contains a text (Ctrl+F)", self.focus_filter)
        self.act_settings = action(
            "&Settings…", _icon(self, "preferences-system", sp.SP_FileDialogDetailedView),
            QKeySequence.StandardKey.Preferences, "Matching strictness, model device, thumbnails",
            self.open_settings)
        self.act_quit = action("&Quit", None, QKeySequence.StandardKey.Quit, "Quit simfinder",
                               self.close)
        self.act_zoom_in = action("&Bigger Thumbnails", None, QKeySequence.StandardKey.ZoomIn,
                                  "Bigger thumbnails", lambda: self.zoom(1))
        self.act_zoom_out = action("S&maller Thumbnails", None,
                                   QKeySequence.StandardKey.ZoomOut, "Smaller thumbnails",
                                   lambda: self.zoom(-1))
        self.act_problems = action(
            "&Problems", _icon(self, "dialog-warning", sp.SP_MessageBoxWarning), None,
            "Files and folders that could not be read", self.toggle_problems)
        self.act_problems.setCheckable(True)
        self.act_decisions = action(
            "D&ecisions", _icon(self, "view-list-details", sp.SP_FileDialogListView),
            "Ctrl+Shift+D", "Your “keep all” and “not duplicates” decisions, to undo any "
            "(Ctrl+Shift+D)", self.toggle_decisions)
        self.act_decisions.setCheckable(True)
        self.act_about = action("&About simfinder", None, None, "Versions and credits",
                                self.show_about)
        self.act_preview = action("Pre&view", None, None, "Show the photo large (Space)",
                                  self.preview_current)
        self.act_open_with = action("&Open with Default App", None, None,
                                    "Open the photo in your usual viewer or editor",
                                    self.open_current_with)
        self.act_show_folder = action("Show in &Folder", None, None,
                                      "Show the photo in the file manager",
                                      self.show_current_in_folder)
        self.act_gallery = action(
            "&Gallery", _icon(self, "view-list-icons", sp.SP_FileDialogListView), "Ctrl+1",
            "Every photo, and the photos most like the one you click (Ctrl+1)",
            self.show_gallery)
        self.act_duplicates = action(
            "&Duplicates", _icon(self, "edit-copy", sp.SP_FileDialogDetailedView), "Ctrl+2",
            "Review groups of duplicates and free space (Ctrl+2)", self.show_duplicates)
        self.mode_group = QActionGroup(self)
        for act in (self.act_gallery, self.act_duplicates):
            act.setCheckable(True)
            self.mode_group.addAction(act)
        self.act_gallery.setChecked(True)
        self.act_undo = action(
            "&Undo", _icon(self, "edit-undo", sp.SP_ArrowBack), QKeySequence.StandardKey.Undo,
            "Put back the photos of the last move to the trash or to a folder (Ctrl+Z)",
            self.undo)
        self.act_undo.setEnabled(False)
        self.act_export_csv = action(
            "Export Duplicates as &CSV…", None, None,
            "Save the duplicate groups and their keep marks as CSV",
            lambda: self._export_duplicates("csv"))
        self.act_export_json = action(
            "Export Duplicates as &JSON…", None, None,
            "Save the duplicate groups and their keep marks as JSON",
            lambda: self._export_duplicates("json"))

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.act_add_folder)
        m.addAction(self.act_search_file)
        m.addSeparator()
        m.addAction(self.act_rescan)
        m.addAction(self.act_pause)
        m.addAction(self.act_stop)
        m.addSeparator()
        m.addAction(self.act_export_csv)
        m.addAction(self.act_export_json)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = bar.addMenu("&Edit")
        m.addAction(self.act_undo)
        m.addSeparator()
        m.addAction(self.act_paste)
        m.addAction(self.act_filter)
        m.addSeparator()
        m.addAction(self.act_settings)
        m = bar.addMenu("&View")
        m.addAction(self.act_gallery)
        m.addAction(self.act_duplicates)
        m.addSeparator()
        m.addAction(self.act_zoom_in)
        m.addAction(self.act_zoom_out)
        m.addSeparator()
        m.addAction(self.act_problems)
        m.addAction(self.act_decisions)
        m = bar.addMenu("&Photo")
        m.addAction(self.act_preview)
        m.addAction(self.act_open_with)
        m.addAction(self.act_show_folder)
        m = bar.addMenu("&Help")
        m.addAction(self.act_about)

        tb = QToolBar("Main", self)
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addAction(self.act_gallery)
        tb.addAction(self.act_duplicates)
        tb.addSeparator()
        tb.addAction(self.act_add_folder)
        tb.addAction(self.act_rescan)
        tb.addAction(self.act_pause)
        tb.addAction(self.act_stop)
        tb.addSeparator()
        tb.addAction(self.act_search_file)
        spacer = QWidget(tb)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        tb.addAction(self.act_settings)
        self.toolbar = tb
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        self.library_label = QLabel(self)
        self.progress_label = QLabel(self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumHeight(14)
        self.problems_button = QToolButton(self)
        self.problems_button.setAutoRaise(True)
        self.problems_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning))
        self.problems_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.problems_button.setToolTip("Show the files that could not be read")
        self.problems_button.clicked.connect(self.toggle_problems)
        sb.addPermanentWidget(self.progress_label)
        sb.addPermanentWidget(self.progress_bar)
        sb.addPermanentWidget(self.problems_button)
        sb.addPermanentWidget(self.library_label)
        self.progress_label.hide()
        self.progress_bar.hide()
        self.problems_button.hide()

    def _connect(self) -> None:
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.empty_state.add_folder_clicked.connect(self.choose_folder)
        self.folder_list.currentItemChanged.connect(self._on_folder_selected)
        self.folder_list.customContextMenuRequested.connect(self._folder_context_menu)
        self.sort_combo.currentIndexChanged.connect(self._on_sort_changed)
        self.size_slider.valueChanged.connect(self._set_thumbnail_size)
        self.view.zoom_requested.connect(self.zoom)
        self.view.doubleClicked.connect(lambda idx: self.preview_record(idx.data(RecordRole)))
        self.view.customContextMenuRequested.connect(self._gallery_context_menu)
        self.view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.view.selectionModel().selectionChanged.connect(
            lambda *_: self._search_with_chosen_photo())
        for key in (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(QKeySequence(key), self.view)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(self.preview_current)
        self.proxy.rowsInserted.connect(self._on_rows_changed)
        self.proxy.rowsRemoved.connect(self._on_rows_changed)
        self.proxy.modelReset.connect(self._on_rows_changed)
        self.proxy.layoutChanged.connect(self._on_rows_changed)

        self.indexer.state_changed.connect(self._on_index_state)
        self.indexer.progress.connect(self._on_progress)
        self.indexer.photos_indexed.connect(self._on_photos_indexed)
        self.indexer.library_updated.connect(self._on_library_updated)
        self.indexer.index_finished.connect(self._on_index_finished)
        self.indexer.folder_forgotten.connect(self._on_folder_forgotten)
        self.indexer.missing_forgotten.connect(self._on_missing_forgotten)
        self.indexer.action_finished.connect(self._on_action_finished)
        self.indexer.undo_finished.connect(self._on_action_finished)
        self.indexer.failed.connect(self._on_job_failed)

        self.duplicates.model.folder_text = self.folder_text
        self.duplicates.library_folders = lambda: list(self._folders)
        self.duplicates.message.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.duplicates.preview_requested.connect(self.preview_record)
        self.duplicates.strictness_changed.connect(self._on_duplicates_strictness)
        self.duplicates.decisions_requested.connect(self.show_decisions)
        self.duplicates.rescan_requested.connect(self.rescan)

        self.review.decisions_listed.connect(self.decisions.set_decisions)
        self.review.decisions_undone.connect(self._on_decisions_undone)
        self.review.decisions_imported.connect(self._on_decisions_imported)
        self.review.decisions_exported.connect(self._on_decisions_exported)
        self.review.state_loaded.connect(self._on_review_loaded)
        self.review.failed.connect(lambda text: self.statusBar().showMessage(text, 15000))
        self.decisions.undo_requested.connect(self.review.undo)
        self.decisions.export_requested.connect(self.review.export)
        self.decisions.import_requested.connect(self.review.import_file)
        self.decisions.show_in_folder_requested.connect(self.show_in_folder)

        self.panel.delegate.folder_text = self.folder_text
        self.panel.search_requested.connect(self._run_query)
        self.panel.open_requested.connect(self.preview_record)
        self.panel.context_menu_requested.connect(self._photo_menu)
        self.panel.set_strictness(self.settings.strictness)
        self.query.results.connect(self._on_query_results)
        self.query.error.connect(self._on_query_error)

    # -- start-up and shutdown --------------------------------------------------------------

    def start(self, add_folders: Sequence[Path] = (), *, rescan: bool = True) -> None:
        """Load the library into the gallery, then re-scan its folders (and add these)."""
        self.indexer.load(self.model.order)
        folders = [Path(f).expanduser().resolve() for f in add_folders]
        if folders or rescan:
            self._start_after_load = (folders, rescan)
        else:
            self._start_after_load = None

    _start_after_load: tuple[list[Path], bool] | None = None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.save_window_state(self.saveGeometry(), self.saveState())
        self.settings.thumbnail_size = self.size_slider.value()
        self.settings.sync()
        self.preview.close()
        # The indexing thread finishes the batch in hand (it is committed, so nothing is lost)
        # and stops; the window is gone meanwhile.
        self.hide()
        self.indexer.shutdown()
        self.query.shutdown()
        self.groups.shutdown()
        if self.duplicates.model.rowCount():
            self.duplicates.save_position()
        self.review.close()  # writes what is queued
        self.thumbnails.shutdown()
        self.tasks.wait()
        shutil.rmtree(self._temp_dir, ignore_errors=True)
        super().closeEvent(event)

    # -- folders ----------------------------------------------------------------------------

    def choose_folder(self) -> None:
        start = str(Path.home() / "Pictures") if (Path.home() / "Pictures").is_dir() \
            else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Add a Photo Folder", start)
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir():
            self.statusBar().showMessage(f"{folder} is not a folder", 8000)
            return
        self.statusBar().showMessage(f"Adding {folder}…", 5000)
        if str(folder) not in self._folders:
            self._folders.append(str(folder))
            self._folders.sort()
            self._fill_folder_list()
        self.indexer.index([folder], remembered=self.indexer.indexing)
        self._update_empty_state()
        self._update_library_label()

    def remove_folder(self, folder: str, *, confirm: bool = True) -> None:
        count = self._photos_under(folder)
        if confirm:
            answer = QMessageBox.question(
                self, "Remove Folder",
                f"Remove “{os.path.basename(folder) or folder}” from the library?\n\n"
                f"simfinder forgets its {counted(count, '%Ln photo(s)')}. The photos themselves "
                "stay where they are on disk, untouched.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.statusBar().showMessage(f"Removing {folder} from the library…")
        self.indexer.forget(folder)

    def rescan(self) -> None:
        if not self._folders:
            self.statusBar().showMessage("Add a photo folder first", 5000)
            return
        self.indexer.index()

    def rescan_folder(self, folder: str) -> None:
        self.indexer.index([folder], remembered=self.indexer.indexing)

    def toggle_pause(self) -> None:
        if self.indexer.indexing:
            self.indexer.pause()
        elif self.indexer.state in ("paused", "stopped"):
            self.indexer.resume()

    def stop_indexing(self) -> None:
        if self.indexer.indexing or self.indexer.state in ("pausing", "paused"):
            self.indexer.stop()

    def folder_text(self, path: str) -> str:
        """Where a photo is, in the terms of the library: "Holidays / 2019 / Rome" for a photo
        in the library folder Holidays (the full path when it is in none)."""
        directory = os.path.dirname(path)
        best = max((f for f in self._folders
                    if directory == f or directory.startswith(f.rstrip(os.sep) + os.sep)),
                   key=len, default=None)
        if best is None:
            return directory
        parts = [os.path.basename(best) or best]
        rest = os.path.relpath(directory, best)
        if rest != ".":
            parts.extend(rest.split(os.sep))
        return " / ".join(parts)

    def _photos_under(self, folder: str) -> int:
        prefix = folder.rstrip(os.sep) + os.sep
        return sum(1 for path in self.model.paths() if path.startswith(prefix))

    def _folder_items(self) -> list[QTreeWidgetItem]:
        """Every item of the folder tree, parents before their children."""
        out: list[QTreeWidgetItem] = []
        pending = [self.folder_list.topLevelItem(i)
                   for i in range(self.folder_list.topLevelItemCount())]
        while pending:
            item = pending.pop(0)
            out.append(item)
            pending[0:0] = [item.child(i) for i in range(item.childCount())]
        return out

    def _fill_folder_list(self) -> None:
        """The folder tree: All Photos, then each library folder with the subfolders that hold
        photos (as the gallery has them), each with its count; the selection and the
        branches the user opened stay as they were."""
        current = self.proxy.folder if hasattr(self, "proxy") else None
        tree = self.folder_list
        before = self._folder_items()
        shown = {item.data(0, Qt.ItemDataRole.UserRole): item.isExpanded() for item in before}
        tree.blockSignals(True)
        tree.clear()
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        counts = self._folder_counts()
        has_model = hasattr(self, "model")
        total = self.model.rowCount() if has_model else 0
        all_item = QTreeWidgetItem([f"All Photos ({total:,})"])
        all_item.setIcon(0, self.style().standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon))
        all_item.setData(0, Qt.ItemDataRole.UserRole, _ALL)
        tree.addTopLevelItem(all_item)
        items: dict[str, QTreeWidgetItem] = {}
        for folder in self._folders:
            item = QTreeWidgetItem([self._folder_label(folder, counts)])
            item.setIcon(0, icon)
            item.setData(0, Qt.ItemDataRole.UserRole, folder)
            item.setToolTip(0, self._folder_tooltip(folder))
            if folder in self._offline:
                item.setForeground(0, self.palette().color(QPalette.ColorRole.PlaceholderText))
            tree.addTopLevelItem(item)
            items[folder] = item
        below = subfolder_counts(self.model.paths(), self._folders) if has_model else {}
        for sub in sorted(below):  # a parent's path sorts before its children's
            parent = items.get(os.path.dirname(sub))
            if parent is None:
                continue
            child = QTreeWidgetItem(parent, [f"{os.path.basename(sub)} ({below[sub]:,})"])
            child.setIcon(0, icon)
            child.setData(0, Qt.ItemDataRole.UserRole, sub)
            child.setToolTip(0, sub)
            items[sub] = child
        for path, item in items.items():
            # A library folder shows its subfolders at first; later, as the user left it.
            item.setExpanded(shown.get(path, path in self._folders))
        selected = items.get(current, all_item) if current is not None else all_item
        tree.setCurrentItem(selected)
        tree.blockSignals(False)
        if current is not None and selected is all_item:
            self.proxy.set_folder(None)

    def _refresh_folder_counts(self) -> None:
        """Update the tree and its counts (throttled while indexing: new subfolders come)."""
        self._fill_folder_list()

    def _folder_label(self, folder: str, counts: dict[str, int]) -> str:
        name = os.path.basename(folder) or folder
        label = f"{name} ({counts.get(folder, 0):,})"
        if folder in self._offline:
            return f"{label} — offline"
        if self._offline_below(folder):
            return f"{label} — partly offline"
        return label

    def _folder_tooltip(self, folder: str) -> str:
        lines = [folder]
        for o in self._offline_below(folder, itself=True):
            lines.append(f"Offline: {o.path} ({o.reason}). Its {counted(o.photos, '%Ln photo(s)')} "
                         "stay in the library until it is back; right-click > Forget Offline "
                         "Photos if they are really gone.")
        return "\n".join(lines)

    def _offline_below(self, folder: str, *, itself: bool = False) -> list[OfflineFolder]:
        prefix = folder.rstrip(os.sep) + os.sep
        return [o for o in self._offline.values()
                if o.path.startswith(prefix) or (itself and o.path == folder)]

    def _set_offline(self, offline: Sequence[OfflineFolder]) -> None:
        self._offline = {o.path: o for o in offline}
        self.delegate.offline = tuple(self._offline)
        self.view.viewport().update()

    def forget_offline_photos(self, folder: str, *, confirm: bool = True) -> None:
        count = sum(o.photos for o in self._offline_below(folder, itself=True))
        if confirm:
            answer = QMessageBox.question(
                self, "Forget Offline Photos",
                f"Forget the {counted(count, '%Ln photo(s)')} of "
                f"“{os.path.basename(folder) or folder}” "
                "that cannot be found?\n\nDo this when they are really gone (the drive is "
                "not coming back). If the folder comes back later, its photos are indexed "
                "again. Nothing is deleted from disk.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.indexer.forget_missing(folder)

    def _on_missing_forgotten(self, report: ForgetReport) -> None:
        self.statusBar().showMessage(
            f"Forgot {counted(report.photos, '%Ln photo(s)')} of {report.folder} that could not be "
            "found.", 12000)

    def _folder_counts(self) -> dict[str, int]:
        return self._counts

    def _on_folder_selected(self, item: QTreeWidgetItem | None, _prev: object = None) -> None:
        folder = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else _ALL
        self.proxy.set_folder(None if folder == _ALL else folder)
        self._update_count_label()

    def _folder_context_menu(self, pos: QPoint) -> None:
        item = self.folder_list.itemAt(pos)
        if item is None:
            return
        folder = item.data(0, Qt.ItemDataRole.UserRole)
        menu = QMenu(self)
        if folder == _ALL:
            menu.addAction(self.act_rescan)
            menu.addAction(self.act_add_folder)
        elif folder not in self._folders:  # a subfolder
            menu.addAction("Open in File Manager", lambda: desktop.open_folder(folder))
        else:
            menu.addAction("Rescan This Folder", lambda: self.rescan_folder(folder))
            menu.addAction("Open in File Manager", lambda: desktop.open_folder(folder))
            if self._offline_below(folder, itself=True):
                menu.addAction("Forget Offline Photos…",
                               lambda: self.forget_offline_photos(folder))
            menu.addSeparator()
            menu.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_TrashIcon),
                           "Remove from Library…", lambda: self.remove_folder(folder))
        menu.exec(self.folder_list.viewport().mapToGlobal(pos))

    # -- gallery ----------------------------------------------------------------------------

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _apply_filter_text(self, text: str) -> None:
        self.proxy.set_text(text)
        self._update_count_label()

    def _on_sort_changed(self, index: int) -> None:
        order = SortOrder(self.sort_combo.itemData(index))
        self.model.set_order(order)
        self.settings.sort_order = order
        current = self.view.currentIndex()
        if current.isValid():
            self.view.scrollTo(current)

    def zoom(self, step: int) -> None:
        self.size_slider.setValue(self.size_slider.value() + step * 16)

    def _set_thumbnail_size(self, side: int, *, save: bool = True) -> None:
        side = max(MIN_THUMB, min(MAX_THUMB, int(side)))
        self.delegate.side = side
        self.view.apply_item_size(self.delegate.item_size(self.view.fontMetrics()))
        if save:
            self.settings.thumbnail_size = side

    def _on_rows_changed(self, *args: object) -> None:
        self._update_empty_state()
        self._update_count_label()

    def _update_count_label(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(counted(total, '%Ln photo(s)') if shown == total
                                 else f"{shown:,} of {counted(total, '%Ln photo(s)')}")

    def _update_empty_state(self) -> None:
        if self.model.rowCount() > 0:
            self.stack.setCurrentWidget(self.view)
            return
        if self.indexer.indexing or (self._folders and not self._snapshot_seen):
            self.empty_state.show_indexing()
        elif self._folders:
            self.empty_state.show_no_photos()
        else:
            self.empty_state.show_welcome()
        self.stack.setCurrentWidget(self.empty_state)

    def current_record(self) -> PhotoRecord | None:
        index = self.view.currentIndex()
        return index.data(RecordRole) if index.isValid() else None

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._search_with_chosen_photo()

    def _search_with_chosen_photo(self) -> None:
        current = self.view.currentIndex()
        record = current.data(RecordRole) if current.isValid() else None
        if record is None:
            return
        if not self.view.selectionModel().isSelected(current):
            # Qt makes the first photo current, unselected, when the gallery gets the focus
            # with none current: not the user's choice, and it must not replace a search the
            # user started (a dropped image, "Open with simfinder"). A click on that photo
            # selects it, and the selection change brings us back here.
            return
        if self.panel.target is not None and self.panel.target.record == record:
            return
        self.panel.history.clear()
        self.panel.show_query(QueryTarget(Path(record.path), os.path.basename(record.path),
                                          record), remember=False)

    def select_photo(self, path: str) -> bool:
        """Make the photo at `path` the current one in the gallery (which searches with it)."""
        record = self.model.record_at_path(path)
        if record is None:
            return False
        row = self.model.row_of(record.file_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            self.proxy.set_folder(None)
            self.proxy.set_text("")
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.view.setCurrentIndex(index)
        self.view.scrollTo(index)
        return True

    def _gallery_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        self._photo_menu(index.data(RecordRole), self.view.viewport().mapToGlobal(pos))

    def _photo_menu(self, record: PhotoRecord, global_pos: QPoint) -> None:
        menu = self.photo_menu(record)
        menu.exec(global_pos)

    def photo_menu(self, record: PhotoRecord) -> QMenu:
        menu = QMenu(self)
        menu.addAction("Preview", lambda: self.preview_record(record))
        menu.addAction("Find Similar Photos", lambda: self.panel.show_query(
            QueryTarget(Path(record.path), os.path.basename(record.path), record)))
        menu.addSeparator()
        menu.addAction("Open with Default App", lambda: self.open_with(record.path))
        menu.addAction("Show in Folder", lambda: self.show_in_folder(record.path))
        menu.addSeparator()
        menu.addAction("Copy Path", lambda: QGuiApplication.clipboard().setText(record.path))
        return menu

    # -- photo actions ----------------------------------------------------------------------

    def preview_current(self) -> None:
        record = self.current_record()
        if record is not None:
            self.preview_record(record)

    def preview_record(self, target: PhotoRecord | Path | None) -> None:
        if target is not None:
            self.preview.show_photo(target)

    def open_current_with(self) -> None:
        record = self.current_record()
        if record is not None:
            self.open_with(record.path)

    def show_current_in_folder(self) -> None:
        record = self.current_record()
        if record is not None:
            self.show_in_folder(record.path)

    def open_with(self, path: str) -> None:
        if not desktop.open_with_default_app(path):
            self.statusBar().showMessage(f"No app could open {path}", 8000)

    def show_in_folder(self, path: str) -> None:
        if not desktop.show_in_folder(path):
            self.statusBar().showMessage(f"Could not open the folder of {path}", 8000)

    # -- searching --------------------------------------------------------------------------

    def _run_query(self, target: QueryTarget) -> None:
        self.query.search(target.path)
        if target.external:
            if "onnxruntime" not in sys.modules and "torch" not in sys.modules:
                self.panel.status.setText(
                    "Looking for similar photos… The first search with an image from outside "
                    "the library loads the similarity model: a few seconds.")
            path = target.path
            self.tasks.submit(lambda: load_photo(path, SimilarPanel.QUERY_SIDE * 2),
                              lambda image, _err: self._on_external_thumb(path, image),
                              channel="query-thumb")

    def _on_external_thumb(self, path: Path, image: object) -> None:
        target = self.panel.target
        if target is not None and target.path == path and image is not None:
            self.panel.set_external_thumbnail(image)  # type: ignore[arg-type]

    def _on_query_results(self, _query_id: int, hits: list[SimilarHit]) -> None:
        self.panel.show_results(hits)

    def _on_query_error(self, _query_id: int, message: str) -> None:
        self.panel.show_error(message)

    def search_with_file(self, path: Path) -> None:
        """Search with any image file, in the library or not (never added to it)."""
        self.show_gallery()
        path = Path(path).expanduser().resolve()
        record = self.model.record_at_path(str(path))
        self.panel.show_query(QueryTarget(path, path.name, record))

    def choose_image_to_search(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Search with an Image", str(Path.home()),
            "Images (*.jpg *.jpeg *.png *.webp *.heic *.heif *.avif *.gif *.bmp *.tif *.tiff);;"
            "All files (*)")
        if path:
            self.search_with_file(Path(path))

    def paste_search(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None or not self.handle_mime(mime, pasted=True):
            self.statusBar().showMessage(
                "The clipboard holds no image: copy an image or a photo file first.", 8000)

    def handle_mime(self, mime: object, *, pasted: bool = False) -> bool:
        """Act on dropped or pasted data: folders are added to the library; an image file or
        image data is searched with (not added); web addresses are refused with a reason.
        Returns whether there was anything to act on."""
        contents = read_mime(mime)  # type: ignore[arg-type]
        if contents.empty:
            return False
        for folder in contents.folders:
            self.add_folder(folder)
        if contents.images:
            self.search_with_file(contents.images[0])
            if len(contents.images) > 1:
                self.statusBar().showMessage(
                    f"Searching with {contents.images[0].name} (the first of "
                    f"{len(contents.images)} images)", 8000)
        elif contents.data is not None or contents.image is not None:
            self._search_with_data(contents, pasted=pasted)
        elif contents.remote:
            message = ("Only images on this computer can be searched: simfinder makes no "
                       "network connections. Save the image first, then drop or open the "
                       "file.")
            self.panel.status.setText(message)
            self.statusBar().showMessage(message, 12000)
        elif contents.not_images and not contents.folders:
            names = ", ".join(p.name for p in contents.not_images[:3])
            message = f"Not an image simfinder can read: {names}"
            self.panel.status.setText(message)
            self.statusBar().showMessage(message, 8000)
        return True

    def _search_with_data(self, contents: DropContents, *, pasted: bool) -> None:
        self._paste_serial += 1
        try:
            path = save_for_search(contents, self._temp_dir, self._paste_serial)
        except OSError as exc:
            self.statusBar().showMessage(f"Could not use the image: {exc}", 8000)
            return
        label = "Pasted image" if pasted else "Dropped image"
        self.show_gallery()
        self.panel.show_query(QueryTarget(path, label, None))

    # -- drag and drop ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if might_hold_something(mime):
            event.acceptProposedAction()
            contents = read_mime(mime)
            if contents.folders and not contents.searchable:
                text = "Drop to add the folder to the library"
            elif contents.searchable:
                text = "Drop to find similar photos"
            else:
                text = "Only images on this computer can be searched"
            self._show_drop_overlay(text)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_overlay.hide()
        if self.handle_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def _show_drop_overlay(self, text: str) -> None:
        self.drop_overlay.setText(text)
        self.drop_overlay.setGeometry(self.modes.rect().adjusted(12, 12, -12, -12))
        self.drop_overlay.raise_()
        self.drop_overlay.show()

    # -- indexing feedback ------------------------------------------------------------------

    def _on_library_updated(self, update: LibraryUpdate) -> None:
        first = not self._snapshot_seen
        self._snapshot_seen = True
        if update.photos is not None:
            self.model.set_photos(update.photos)
        else:
            self.model.remove_ids(update.removed)
            self.model.upsert(update.changed)
        self.model.set_companions(update.companions)
        self._folders = list(update.folders)
        self._counts = dict(update.counts)
        self._set_offline(update.offline)
        self._fill_folder_list()
        self.problems.set_problems(update.errors, self._unreadable)
        self._update_problems_button()
        self._update_library_label()
        self._update_empty_state()
        self._update_count_label()
        self.query.library_changed()
        self.duplicates.library_changed()
        self._set_undoable(update.undoable)
        if update.removed:
            self.panel.forget_photos(set(update.removed))
        if first:
            # The catalog is open (and migrated) by now: read the decisions and the review.
            self.review.refresh()
            self.review.load_state()
        if first and self._start_after_load is not None:
            folders, rescan = self._start_after_load
            self._start_after_load = None
            # Folders named on the command line are the library's from now on: listed, and
            # counted with their photos as they come (the catalog has them once indexed).
            for folder in map(str, folders):
                if folder not in self._folders and os.path.isdir(folder):
                    self._folders.append(folder)
            self._folders.sort()
            self._fill_folder_list()
            self._update_library_label()
            if folders:
                self.indexer.index(folders, remembered=rescan)
            elif rescan and self._folders:
                self.indexer.index()

    def _on_photos_indexed(self, records: list[PhotoRecord]) -> None:
        added = self.model.upsert([r.row for r in records])
        self.query.library_changed()
        if added:
            for row in added:
                folder = folder_of(row[ROW_PATH], self._folders)
                if folder is not None:
                    self._counts[folder] = self._counts.get(folder, 0) + 1
            self._update_library_label()
            if not self._counts_timer.isActive():
                self._counts_timer.start()

    def _on_progress(self, progress: Progress) -> None:
        if progress.phase == "scanning":
            self.progress_label.setText(f"Found {counted(progress.done, '%Ln photo(s)')}; "
                                        "checking what changed…")
            self.progress_bar.setRange(0, 0)
        elif progress.phase == "comparing":
            self._show_comparing(progress)
            self.duplicates.set_comparing(True)
        elif progress.phase in _ACTION_WORDS:
            self.progress_bar.setRange(0, max(progress.total, 1))
            self.progress_bar.setValue(progress.done)
            self.progress_label.setText(f"{_ACTION_WORDS[progress.phase]} {progress.done:,} of "
                                        f"{counted(progress.total, '%Ln photo(s)')}")
        else:
            total = max(progress.total, 1)
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(progress.done)
            text = f"Indexing {progress.done:,} of {progress.total:,}"
            if progress.rate > 0:
                text += f" · {progress.rate:.1f} photos/s"
            eta = progress.eta
            if eta is not None and progress.done < progress.total:
                text += f" · about {_duration(eta)} left"
            self.progress_label.setText(text)
        self.progress_label.show()
        self.progress_bar.show()

    def _show_comparing(self, progress: Progress) -> None:
        """After indexing: the likely copies are compared, so that the Duplicates view finds
        them ready (total 0: still looking for them)."""
        if not progress.total:
            self.progress_label.setText("Looking for likely copies…")
            self.progress_bar.setRange(0, 0)
            return
        self.progress_bar.setRange(0, progress.total)
        self.progress_bar.setValue(progress.done)
        text = f"Comparing likely copies {progress.done:,} / {progress.total:,}"
        eta = progress.eta
        if eta is not None and progress.done < progress.total:
            text += f" · about {_duration(eta)} left"
        self.progress_label.setText(text)

    def _on_index_state(self, state: str) -> None:
        if state == "indexing":
            self.progress_label.setText("Looking for photos…")
            self.progress_bar.setRange(0, 0)
            self.progress_label.show()
            self.progress_bar.show()
        elif state == "pausing":
            self.progress_label.setText("Stopping after the current batch…")
        elif state in ("paused", "stopped"):
            last = self.indexer.last_progress
            left = ""
            if last is not None and last.phase == "indexing" and last.total > last.done:
                left = f": {counted(last.total - last.done, '%Ln photo(s)')} still to index"
            elif last is not None and last.phase == "comparing":
                left = ": likely copies still to compare"
                if last.total > last.done:
                    pairs = counted(last.total - last.done, '%Ln pair(s) of likely copies')
                    left = f": {pairs} still to compare"
            word = "Paused" if state == "paused" else "Stopped"
            self.progress_label.setText(f"{word}{left} (resumes with Resume, Rescan or the "
                                        "next start)")
            self.progress_bar.hide()
            self.progress_label.show()
        else:
            self.progress_bar.hide()
            self.progress_label.hide()
        self.duplicates.set_indexing(state in ("indexing", "pausing"))
        self._update_actions()
        self._update_empty_state()

    def _on_index_finished(self, run: IndexRun) -> None:
        report = run.index
        # The library snapshot that follows shows these with the files that failed.
        self._unreadable = list(report.unreadable_folders)
        if run.cancelled:
            # Paused or stopped: the run that finishes the work reports it all (a resumed run
            # alone may have had nothing left to do but compare).
            self._unfinished_runs.append(run)
            return
        runs, self._unfinished_runs = [*self._unfinished_runs, run], []
        reports = [r.index for r in runs]
        indexed = sum(r.indexed for r in reports)
        linked = sum(r.linked for r in reports)
        removed = sum(r.removed for r in reports)
        failed = sum(len(r.failed) for r in reports)
        parts = []
        if indexed:
            parts.append(f"{indexed:,} new")
        if linked:
            parts.append(counted(linked, '%Ln copy or move(s)'))
        if removed:
            parts.append(f"{removed:,} gone from disk")
        if failed:
            parts.append(f"{failed:,} could not be read")
        summary = ", ".join(parts) if parts else "nothing changed"
        compared = [r.comparison for r in runs if r.comparison is not None]
        verified = sum(c.verified for c in compared)
        if verified:
            summary += (f"; {counted(verified, '%Ln pair(s) of likely copies')} compared in "
                        f"{_duration(sum(c.seconds for c in compared))}")
        elapsed = sum(r.elapsed for r in reports)
        self.statusBar().showMessage(f"Indexing done in {_duration(elapsed)}: {summary}.",
                                     15000)

    def _on_folder_forgotten(self, report: ForgetReport) -> None:
        self.statusBar().showMessage(
            f"Removed {report.folder} from the library ({counted(report.photos, '%Ln photo(s)')} "
            "forgotten; nothing was deleted from disk).", 12000)
        target = self.panel.target
        if target is not None and target.record is not None and \
                self.model.record_of(target.record.file_id) is None:
            self.panel.clear()

    # -- duplicates and clean-up ------------------------------------------------------------

    def show_gallery(self) -> None:
        self.act_gallery.setChecked(True)
        self.modes.setCurrentWidget(self.splitter)

    def show_duplicates(self) -> None:
        self.act_duplicates.setChecked(True)
        self.modes.setCurrentWidget(self.duplicates)

    def _export_duplicates(self, fmt: str) -> None:
        self.show_duplicates()
        if self.duplicates.searching:
            self.statusBar().showMessage("Still looking for duplicates: export when the list "
                                         "is complete.", 8000)
            return
        self.duplicates.export(fmt)

    def _on_duplicates_strictness(self, strictness: Strictness) -> None:
        self.panel.set_strictness(strictness)

    def _set_undoable(self, summary: BatchSummary | None) -> None:
        self.undoable = summary
        if summary is None:
            self.act_undo.setText("&Undo")
            self.act_undo.setEnabled(False)
        else:
            self.act_undo.setText(f"&Undo {summary.describe()}")
            self.act_undo.setEnabled(not self.indexer.acting)

    def undo(self) -> None:
        """Put back the photos of the last move to the trash or to a folder."""
        if self.undoable is None or self.indexer.acting:
            return
        self.act_undo.setEnabled(False)
        self.statusBar().showMessage(f"Undoing {self.undoable.describe()}…")
        self.indexer.undo()

    def _on_action_finished(self, _report: ActionReport | UndoReport | None) -> None:
        self.review.refresh()  # a move may carry decisions to the copies kept
        if not self.indexer.indexing:
            self.progress_bar.hide()
            self.progress_label.hide()
        self._set_undoable(self.undoable)

    def _on_job_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 15000)
        self.progress_label.setText(message)
        self.progress_label.show()
        self.progress_bar.hide()

    def _update_actions(self) -> None:
        state = self.indexer.state
        indexing = state == "indexing"
        self.act_stop.setEnabled(state in ("indexing", "pausing", "paused"))
        if state in ("paused", "stopped"):
            self.act_pause.setText("&Resume")
            self.act_pause.setIcon(_icon(self, "media-playback-start",
                                         QStyle.StandardPixmap.SP_MediaPlay))
            self.act_pause.setToolTip("Resume indexing where it stopped")
            self.act_pause.setEnabled(True)
        else:
            self.act_pause.setText("&Pause")
            self.act_pause.setIcon(_icon(self, "media-playback-pause",
                                         QStyle.StandardPixmap.SP_MediaPause))
            self.act_pause.setToolTip("Pause indexing; it resumes where it stopped")
            self.act_pause.setEnabled(indexing)

    def _update_library_label(self) -> None:
        photos = self.model.rowCount()
        folders = len(self._folders)
        self.library_label.setText(
            f"{counted(photos, '%Ln photo(s)')} in {counted(folders, '%Ln folder(s)')}")
        self.library_label.setToolTip(f"Library: {self.library_root}")
        if hasattr(self, "folder_list") and self.folder_list.topLevelItemCount():
            self.folder_list.topLevelItem(0).setText(0, f"All Photos ({photos:,})")

    def _update_problems_button(self) -> None:
        files, folders = self.problems.file_count, self.problems.folder_count
        if not files and not folders:
            self.problems_button.hide()
            return
        parts = []
        if files:
            parts.append(f"{counted(files, '%Ln file(s)')} could not be read")
        if folders:
            parts.append(f"{counted(folders, '%Ln folder(s)')} could not be opened")
        self.problems_button.setText("; ".join(parts))
        self.problems_button.show()

    # -- decisions and the review in progress -------------------------------------------------

    def toggle_decisions(self) -> None:
        if self.decisions.isVisible():
            self.decisions.hide()
        else:
            self.show_decisions()

    def show_decisions(self) -> None:
        first = not self._decisions_shown
        self._decisions_shown = True
        self.decisions.show()
        self.decisions.raise_()
        if first:  # a quarter of the window: the groups stay in view
            self.resizeDocks([self.decisions], [max(180, self.height() // 4)],
                             Qt.Orientation.Vertical)

    def _on_decisions_undone(self, _count: int) -> None:
        self.statusBar().showMessage("Decision undone: its photos are reviewed again.", 15000)

    def _on_decisions_imported(self, added: int, known: int) -> None:
        self.statusBar().showMessage(f"Imported {added} decisions ({known} already there).",
                                     15000)

    def _on_decisions_exported(self, count: int, path: Path) -> None:
        self.statusBar().showMessage(f"Saved {count} decisions to {path}", 15000)

    def _on_review_loaded(self, state: ReviewState) -> None:
        if state.empty:
            return
        self.duplicates.restore_review(state)
        parts = []
        if state.marks:
            parts.append(counted(len(state.marks), '%Ln photo(s)') + " marked")
        if state.done:
            parts.append(counted(len(state.done), '%Ln group(s)') + " done")
        when = ""
        if state.updated_at is not None:
            when = time.strftime(" (last changed %a %d %b, %H:%M)",
                                 time.localtime(state.updated_at))
        self.resume_label.setText(
            f"<b>You were reviewing duplicates</b>: {', '.join(parts)}{when}. Continue where "
            "you left off?")
        self.resume_bar.show()

    def continue_review(self) -> None:
        """Open the Duplicates view on the group the user was on, with their marks."""
        self.resume_bar.hide()
        self.show_duplicates()

    def start_review_over(self) -> None:
        """Forget the saved marks and done groups (decisions stay)."""
        self.resume_bar.hide()
        self.duplicates.start_over()
        self.statusBar().showMessage("Review started over: the groups show the keep rules' "
                                     "marks again. Your decisions stay.", 10000)

    def toggle_problems(self) -> None:
        self.problems.setVisible(not self.problems.isVisible())

    # -- settings and about -----------------------------------------------------------------

    def open_settings(self) -> None:
        loaded = "onnxruntime" in sys.modules or "torch" in sys.modules
        dialog = SettingsDialog(self.settings, model_loaded=loaded, parent=self)
        dialog.accepted.connect(lambda: self.apply_settings(dialog))
        dialog.finished.connect(lambda _r: dialog.deleteLater())
        self.settings_dialog = dialog
        dialog.open()

    def apply_settings(self, dialog: SettingsDialog) -> None:
        old_device = self.settings.device
        dialog.apply()
        self.panel.set_strictness(self.settings.strictness)
        self.duplicates.set_strictness(self.settings.strictness)
        self.size_slider.setValue(self.settings.thumbnail_size)
        if self.settings.device != old_device and isinstance(self.embedder, EmbedderProvider) \
                and "onnxruntime" not in sys.modules and "torch" not in sys.modules:
            self.embedder = BackgroundEmbedderProvider(self.settings.device)
            self.indexer.embedder = self.embedder
            self.query.embedder = self.embedder
        self.settings_dialog = None

    def show_about(self) -> None:
        QMessageBox.about(self, "About simfinder", about_html())
