"""The main window: folders on the left, the gallery in the middle, similar photos on the right;
indexing in the background with its progress in the status bar."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
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
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from simfinder.app.gallery import BackgroundEmbedderProvider
from simfinder.app.usecases import EmbedderProvider, ForgetReport, IndexRun, library_thumbnails
from simfinder.core.cleanup.actions import ActionReport, BatchSummary, UndoReport
from simfinder.core.matching.search import SimilarHit
from simfinder.core.matching.similarity import Strictness
from simfinder.core.progress import Progress
from simfinder.core.store.catalog import ROW_PATH, PhotoRecord, ReviewState
from simfinder.gui import desktop, style
from simfinder.gui.about import about_html
from simfinder.gui.action_table import (
    ActionSpec,
    build_actions,
    modifier_text,
    theme_icon,
    with_keys,
)
from simfinder.gui.decisions_panel import DecisionsDock
from simfinder.gui.drop_search import DropSearch
from simfinder.gui.duplicates import DuplicatesPanel
from simfinder.gui.empty_state import EmptyState
from simfinder.gui.folder_sidebar import FolderSidebar
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
from simfinder.gui.indexing_status import IndexingStatus
from simfinder.gui.preview import PreviewDialog
from simfinder.gui.problems import ProblemsDock
from simfinder.gui.review_controller import ReviewController
from simfinder.gui.series_view import SeriesPanel
from simfinder.gui.series_worker import SeriesController
from simfinder.gui.settings import AppSettings, SettingsDialog
from simfinder.gui.similar_panel import QueryTarget, SimilarPanel
from simfinder.gui.tasks import TaskRunner
from simfinder.gui.thumbnails import ThumbnailStore
from simfinder.gui.words import batch_text, counted, tr
from simfinder.gui.workers import (
    EmbedderFactory,
    GroupsController,
    IndexController,
    LibraryUpdate,
    QueryController,
)

log = logging.getLogger(__name__)




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
    # Built from _action_table.
    act_add_folder: QAction
    act_rescan: QAction
    act_pause: QAction
    act_stop: QAction
    act_search_file: QAction
    act_paste: QAction
    act_filter: QAction
    act_settings: QAction
    act_quit: QAction
    act_zoom_in: QAction
    act_zoom_out: QAction
    act_problems: QAction
    act_decisions: QAction
    act_about: QAction
    act_preview: QAction
    act_open_with: QAction
    act_show_folder: QAction
    act_gallery: QAction
    act_duplicates: QAction
    act_series: QAction
    act_undo: QAction
    act_export_csv: QAction
    act_export_json: QAction

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
        self.setWindowTitle(tr("simfinder"))
        self.setAcceptDrops(True)
        self._unreadable: list[tuple[str, str]] = []
        self._snapshot_seen = False

        self.thumbnails = ThumbnailStore(library_thumbnails(self.library_root),
                                         parent=self)
        self.tasks = TaskRunner(threads=1, parent=self)
        self.indexer = IndexController(self.library_root, self.embedder, self)
        self.query = QueryController(self.library_root, self.embedder, self)
        self.groups = GroupsController(self.library_root, self)
        self.review = ReviewController(self.library_root, self)
        self.series_finder = SeriesController(self.library_root, self)
        self._decisions_shown = False
        self.undoable: BatchSummary | None = None

        self._build_gallery()
        self.panel = SimilarPanel(self.thumbnails, self)
        self.duplicates = DuplicatesPanel(self.thumbnails, settings, self.groups, self.indexer,
                                          self.tasks, self.review, self)
        self.series = SeriesPanel(self.thumbnails, settings, self.series_finder, self.indexer,
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
        self.view.setAccessibleName(tr("Photo gallery"))

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(
            with_keys(tr("Filter by name"), QKeySequence.StandardKey.Find))
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
            self.sort_combo.addItem(tr("Sort: {order}").format(order=tr(order.label)), order.value)
        self.sort_combo.setCurrentIndex(list(SortOrder).index(self.model.order))
        self.sort_combo.setToolTip(tr("Order of the photos"))

        self.size_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.size_slider.setRange(MIN_THUMB, MAX_THUMB)
        self.size_slider.setSingleStep(8)
        self.size_slider.setPageStep(32)
        self.size_slider.setMinimumWidth(80)
        self.size_slider.setMaximumWidth(140)
        self.size_slider.setToolTip(tr("Thumbnail size ({keys} mouse wheel on the gallery)")
                                    .format(keys=modifier_text(Qt.KeyboardModifier.ControlModifier)))
        self.size_slider.setValue(self.settings.thumbnail_size)
        self._set_thumbnail_size(self.settings.thumbnail_size, save=False)

        self.count_label = QLabel(self)
        self.count_label.setStyleSheet(style.DIM_TEXT)
        self.count_label.setMinimumWidth(90)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(1000)
        self._counts_timer.timeout.connect(self._fill_folder_list)

    def _build_sidebar(self) -> None:
        self.sidebar = FolderSidebar(self.model.paths, self)
        self.folder_list = self.sidebar.tree
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
        small.setToolTip(with_keys(tr("Smaller thumbnails"), QKeySequence.StandardKey.ZoomOut))
        big = QLabel(self)
        big.setPixmap(_photo_glyph(self, 18))
        big.setToolTip(with_keys(tr("Bigger thumbnails"), QKeySequence.StandardKey.ZoomIn))
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
        self.modes.addWidget(self.series)
        central = QWidget(self)
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self._build_resume_bar(central)
        column.addWidget(self.resume_bar)
        column.addWidget(self.modes, 1)
        self.setCentralWidget(central)

        self.drops = DropSearch(self.modes, self)
        self.drop_overlay = self.drops.overlay

    def _build_resume_bar(self, parent: QWidget) -> None:
        """The offer to continue a review saved earlier (shown on start when there is one)."""
        self.resume_bar = QFrame(parent)
        self.resume_bar.setObjectName("resume-bar")
        self.resume_bar.setStyleSheet(style.banner("resume-bar"))
        row = QHBoxLayout(self.resume_bar)
        row.setContentsMargins(10, 6, 10, 6)
        self.resume_label = QLabel(self.resume_bar)
        self.resume_label.setWordWrap(True)
        self.resume_button = QPushButton(tr("Continue Review"), self.resume_bar)
        self.resume_button.setDefault(True)
        self.start_over_button = QPushButton(tr("Start Over"), self.resume_bar)
        self.start_over_button.setToolTip(tr("Forget the marks and the groups marked done (your "
                                             "decisions stay)"))
        later = QToolButton(self.resume_bar)
        later.setAutoRaise(True)
        later.setText("\u2715")
        later.setToolTip(tr("Not now (the review stays saved)"))
        row.addWidget(self.resume_label, 1)
        row.addWidget(self.resume_button)
        row.addWidget(self.start_over_button)
        row.addWidget(later)
        self.resume_button.clicked.connect(self.continue_review)
        self.start_over_button.clicked.connect(self.start_review_over)
        later.clicked.connect(self.resume_bar.hide)
        self.resume_bar.hide()

    def _action_table(self) -> list[ActionSpec]:
        sp = QStyle.StandardPixmap
        key = QKeySequence.StandardKey
        return [
            ActionSpec("add_folder", tr("&Add Folder…"), tr("Add a photo folder to the library"),
                       self.choose_folder, ("folder-new", sp.SP_DirOpenIcon), key.Open, True),
            ActionSpec("rescan", tr("&Rescan"),
                       tr("Look for new, changed and deleted photos in every folder"), self.rescan,
                       ("view-refresh", sp.SP_BrowserReload), "F5", True),
            ActionSpec("pause", tr("&Pause"), tr("Pause indexing; it resumes where it stopped"),
                       self.toggle_pause, ("media-playback-pause", sp.SP_MediaPause)),
            ActionSpec("stop", tr("&Stop"),
                       tr("Stop indexing; the next rescan or start resumes it"),
                       self.stop_indexing, ("process-stop", sp.SP_MediaStop), "Esc", True),
            ActionSpec("search_file", tr("Search with &Image…"),
                       tr("Find photos like an image file, without adding it to the library"),
                       self.choose_image_to_search, ("edit-find", sp.SP_FileDialogContentsView),
                       "Ctrl+Shift+O"),
            # The theme's paste icon or none: the style's fallback is a check mark, which
            # made the menu item look like an option turned on.
            ActionSpec("paste", tr("&Paste Image to Search"),
                       tr("Search the library with the image on the clipboard"), self.paste_search,
                       ("edit-paste", None), key.Paste, True),
            ActionSpec("filter", tr("&Filter by Name"),
                       tr("Show only photos whose name contains a text"), self.focus_filter,
                       None, key.Find, True),
            ActionSpec("settings", tr("&Settings…"),
                       tr("Matching strictness, model device, thumbnails"), self.open_settings,
                       ("preferences-system", sp.SP_FileDialogDetailedView), key.Preferences),
            ActionSpec("quit", tr("&Quit"), tr("Quit simfinder"), self.close, None, key.Quit),
            ActionSpec("zoom_in", tr("&Bigger Thumbnails"), tr("Bigger thumbnails"),
                       lambda: self.zoom(1), None, key.ZoomIn),
            ActionSpec("zoom_out", tr("S&maller Thumbnails"), tr("Smaller thumbnails"),
                       lambda: self.zoom(-1), None, key.ZoomOut),
            ActionSpec("problems", tr("&Problems"), tr("Files and folders that could not be read"),
                       self.toggle_problems, ("dialog-warning", sp.SP_MessageBoxWarning),
                       checkable=True),
            ActionSpec("decisions", tr("D&ecisions"),
                       tr("Your “keep all” and “not duplicates” decisions, to undo any"),
                       self.toggle_decisions, ("view-list-details", sp.SP_FileDialogListView),
                       "Ctrl+Shift+D", True, checkable=True),
            ActionSpec("about", tr("&About simfinder"), tr("Versions and credits"),
                       self.show_about),
            ActionSpec("preview", tr("Pre&view"), tr("Show the photo large"), self.preview_current),
            ActionSpec("open_with", tr("&Open with Default App"),
                       tr("Open the photo in your usual viewer or editor"), self.open_current_with),
            ActionSpec("show_folder", tr("Show in &Folder"),
                       tr("Show the photo in the file manager"),
                       self.show_current_in_folder),
            ActionSpec("gallery", tr("&Gallery"),
                       tr("Every photo, and the photos most like the one you click"),
                       self.show_gallery, ("view-list-icons", sp.SP_FileDialogListView),
                       "Ctrl+1", True, checkable=True),
            ActionSpec("duplicates", tr("&Duplicates"),
                       tr("Review groups of duplicates and free space"), self.show_duplicates,
                       ("edit-copy", sp.SP_FileDialogDetailedView), "Ctrl+2", True,
                       checkable=True),
            ActionSpec("series", tr("Similar &Shots"),
                       tr("Series of shots of one scene: keep the best of each, let the rest "
                          "go"),
                       self.show_series, ("camera-photo", sp.SP_FileDialogInfoView),
                       "Ctrl+3", True, checkable=True),
            ActionSpec("undo", tr("&Undo"),
                       tr("Put back the photos of the last move to the trash or to a folder"),
                       self.undo, ("edit-undo", sp.SP_ArrowBack), key.Undo, True),
            ActionSpec("export_csv", tr("Export Duplicates as &CSV…"),
                       tr("Save the duplicate groups and their keep marks as CSV"),
                       lambda: self._export_duplicates("csv")),
            ActionSpec("export_json", tr("Export Duplicates as &JSON…"),
                       tr("Save the duplicate groups and their keep marks as JSON"),
                       lambda: self._export_duplicates("json")),
        ]

    def _build_actions(self) -> None:
        build_actions(self, self._action_table())
        self.mode_group = QActionGroup(self)
        for act in (self.act_gallery, self.act_duplicates, self.act_series):
            self.mode_group.addAction(act)
        self.act_gallery.setChecked(True)
        self.act_undo.setEnabled(False)
        # Space previews in the gallery (a shortcut of the view: typing elsewhere is typing).
        tip = with_keys(self.act_preview.toolTip(), QKeySequence(Qt.Key.Key_Space))
        self.act_preview.setToolTip(tip)
        self.act_preview.setStatusTip(tip)

    def _build_menus_and_toolbar(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu(tr("&File"))
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
        m = bar.addMenu(tr("&Edit"))
        m.addAction(self.act_undo)
        m.addSeparator()
        m.addAction(self.act_paste)
        m.addAction(self.act_filter)
        m.addSeparator()
        m.addAction(self.act_settings)
        m = bar.addMenu(tr("&View"))
        m.addAction(self.act_gallery)
        m.addAction(self.act_duplicates)
        m.addAction(self.act_series)
        m.addSeparator()
        m.addAction(self.act_zoom_in)
        m.addAction(self.act_zoom_out)
        m.addSeparator()
        m.addAction(self.act_problems)
        m.addAction(self.act_decisions)
        m = bar.addMenu(tr("&Photo"))
        m.addAction(self.act_preview)
        m.addAction(self.act_open_with)
        m.addAction(self.act_show_folder)
        m = bar.addMenu(tr("&Help"))
        m.addAction(self.act_about)

        tb = QToolBar(tr("Main"), self)
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addAction(self.act_gallery)
        tb.addAction(self.act_duplicates)
        tb.addAction(self.act_series)
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
        self.indexing_status = IndexingStatus(self)
        self.progress_label = self.indexing_status.label
        self.progress_bar = self.indexing_status.bar
        self.problems_button = QToolButton(self)
        self.problems_button.setAutoRaise(True)
        self.problems_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning))
        self.problems_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.problems_button.setToolTip(tr("Show the files that could not be read"))
        self.problems_button.clicked.connect(self.toggle_problems)
        sb.addPermanentWidget(self.progress_label)
        sb.addPermanentWidget(self.progress_bar)
        sb.addPermanentWidget(self.problems_button)
        sb.addPermanentWidget(self.library_label)
        self.problems_button.hide()

    def _connect(self) -> None:
        self.empty_state.add_folder_clicked.connect(self.choose_folder)
        self.sidebar.library_actions = [self.act_rescan, self.act_add_folder]
        self.sidebar.add_requested.connect(self.choose_folder)
        self.sidebar.folder_chosen.connect(self._on_folder_chosen)
        self.sidebar.rescan_requested.connect(self.rescan_folder)
        self.sidebar.remove_requested.connect(self.remove_folder)
        self.sidebar.forget_offline_requested.connect(self.forget_offline_photos)
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
        self.duplicates.library_folders = lambda: list(self.sidebar.folders)
        self.duplicates.message.connect(lambda text: self.tell(text, style.REPORT_MS))
        self.duplicates.preview_requested.connect(self.preview_record)
        self.duplicates.strictness_changed.connect(self._on_duplicates_strictness)
        self.duplicates.decisions_requested.connect(self.show_decisions)
        self.duplicates.rescan_requested.connect(self.rescan)
        self.series.model.folder_text = self.folder_text
        self.series.message.connect(lambda text: self.tell(text, style.REPORT_MS))
        self.series.preview_requested.connect(self.preview_record)
        self.review.decisions_changed.connect(self.series.library_changed)

        self.review.decisions_listed.connect(self.decisions.set_decisions)
        self.review.decisions_undone.connect(self._on_decisions_undone)
        self.review.decisions_imported.connect(self._on_decisions_imported)
        self.review.decisions_exported.connect(self._on_decisions_exported)
        self.review.state_loaded.connect(self._on_review_loaded)
        self.review.failed.connect(lambda text: self.tell(text, style.REPORT_MS))
        self.decisions.undo_requested.connect(self.review.undo)
        self.decisions.export_requested.connect(self.review.export)
        self.decisions.import_requested.connect(self.review.import_file)
        self.decisions.show_in_folder_requested.connect(self.show_in_folder)

        self.panel.delegate.folder_text = self.folder_text
        self.panel.search_requested.connect(self._run_query)
        self.panel.open_requested.connect(self.preview_record)
        self.panel.context_menu_requested.connect(self._photo_menu)
        self.panel.set_strictness(self.settings.strictness)
        self.drops.folder_dropped.connect(self.add_folder)
        self.drops.search_file.connect(self.search_with_file)
        self.drops.search_data.connect(self._search_with_data)
        self.drops.refused.connect(self._refuse_search)
        self.drops.message.connect(self.tell)
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
        self.series_finder.shutdown()
        if self.duplicates.model.rowCount():
            self.duplicates.save_position()
        if self.series.model.rowCount():
            self.series.save_position()
        self.review.close()  # writes what is queued
        self.thumbnails.shutdown()
        self.tasks.wait()
        self.drops.close()
        super().closeEvent(event)

    # -- folders ----------------------------------------------------------------------------

    def choose_folder(self) -> None:
        start = str(Path.home() / "Pictures") if (Path.home() / "Pictures").is_dir() \
            else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, tr("Add a Photo Folder"), start)
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir():
            self.tell(tr("{folder} is not a folder").format(folder=folder), style.NOTICE_MS)
            return
        self.tell(tr("Adding {folder}…").format(folder=folder), style.HINT_MS)
        if self.sidebar.add([str(folder)]):
            self._fill_folder_list()
        self.indexer.index([folder], remembered=self.indexer.indexing)
        self._update_empty_state()
        self._update_library_label()

    def remove_folder(self, folder: str, *, confirm: bool = True) -> None:
        count = self._photos_under(folder)
        if confirm:
            answer = QMessageBox.question(
                self, tr("Remove Folder"),
                tr("Remove “{folder}” from the library?\n\nsimfinder forgets its {count}. The "
                   "photos themselves stay where they are on disk, untouched.").format(
                    folder=os.path.basename(folder) or folder,
                    count=counted(count, "%Ln photo(s)")),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.tell(tr("Removing {folder} from the library…").format(folder=folder))
        self.indexer.forget(folder)

    def rescan(self) -> None:
        if not self.sidebar.folders:
            self.tell(tr("Add a photo folder first"), style.HINT_MS)
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
        return self.sidebar.folder_text(path)

    def _photos_under(self, folder: str) -> int:
        prefix = folder.rstrip(os.sep) + os.sep
        return sum(1 for path in self.model.paths() if path.startswith(prefix))

    def _fill_folder_list(self) -> None:
        self.sidebar.set_total(self.model.rowCount())
        if not self.sidebar.fill(self.proxy.folder):
            self.proxy.set_folder(None)

    def _set_offline(self) -> None:
        self.delegate.offline = self.sidebar.offline
        self.view.viewport().update()

    def forget_offline_photos(self, folder: str, *, confirm: bool = True) -> None:
        count = sum(o.photos for o in self.sidebar.offline_below(folder, itself=True))
        if confirm:
            answer = QMessageBox.question(
                self, tr("Forget Offline Photos"),
                tr("Forget the {count} of “{folder}” that cannot be found?\n\nDo this when they "
                   "are really gone (the drive is not coming back). If the folder comes back "
                   "later, its photos are indexed again. Nothing is deleted from disk.").format(
                    count=counted(count, "%Ln photo(s)"),
                    folder=os.path.basename(folder) or folder),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.indexer.forget_missing(folder)

    def _on_missing_forgotten(self, report: ForgetReport) -> None:
        self.tell(
            tr("Forgot {count} of {folder} that could not be found.").format(
                count=counted(report.photos, '%Ln photo(s)'), folder=report.folder), style.DONE_MS)

    def _on_folder_chosen(self, folder: str | None) -> None:
        self.proxy.set_folder(folder)
        self._update_count_label()

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
                                 else tr("{shown} of {photos}").format(
                                     shown=f"{shown:,}", photos=counted(total, "%Ln photo(s)")))

    def _update_empty_state(self) -> None:
        if self.model.rowCount() > 0:
            self.stack.setCurrentWidget(self.view)
            return
        if self.indexer.indexing or (self.sidebar.folders and not self._snapshot_seen):
            self.empty_state.show_indexing()
        elif self.sidebar.folders:
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
        menu.addAction(tr("Preview"), lambda: self.preview_record(record))
        menu.addAction(tr("Find Similar Photos"), lambda: self.panel.show_query(
            QueryTarget(Path(record.path), os.path.basename(record.path), record)))
        menu.addSeparator()
        menu.addAction(tr("Open with Default App"), lambda: self.open_with(record.path))
        menu.addAction(tr("Show in Folder"), lambda: self.show_in_folder(record.path))
        menu.addSeparator()
        menu.addAction(tr("Copy Path"), lambda: QGuiApplication.clipboard().setText(record.path))
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
            self.tell(tr("No app could open {path}").format(path=path), style.NOTICE_MS)

    def show_in_folder(self, path: str) -> None:
        if not desktop.show_in_folder(path):
            self.tell(tr("Could not open the folder of {path}").format(path=path), style.NOTICE_MS)

    # -- searching --------------------------------------------------------------------------

    def _run_query(self, target: QueryTarget) -> None:
        self.query.search(target.path)
        if target.external:
            if "onnxruntime" not in sys.modules and "torch" not in sys.modules:
                self.panel.status.setText(
                    tr("Looking for similar photos… The first search with an image from outside "
                       "the library loads the similarity model: a few seconds."))
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
        self.drops.choose_file(self)

    def paste_search(self) -> None:
        self.drops.paste()

    def handle_mime(self, mime: QMimeData, *, pasted: bool = False) -> bool:
        """Act on dropped or pasted data (see DropSearch.handle_mime)."""
        return self.drops.handle_mime(mime, pasted=pasted)

    def _search_with_data(self, path: Path, label: str) -> None:
        self.show_gallery()
        self.panel.show_query(QueryTarget(path, label, None))

    def _refuse_search(self, message: str, timeout_ms: int) -> None:
        self.panel.status.setText(message)
        self.tell(message, timeout_ms)

    # -- drag and drop ----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.drops.drag_enter(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drops.drag_leave()
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.drops.drop(event)

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
        self.sidebar.set_library(update.folders, update.counts, update.offline)
        self._set_offline()
        self._fill_folder_list()
        self.problems.set_problems(update.errors, self._unreadable)
        self._update_problems_button()
        self._update_library_label()
        self._update_empty_state()
        self._update_count_label()
        self.query.library_changed()
        self.duplicates.library_changed()
        self.series.library_changed()
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
            self.sidebar.add(f for f in map(str, folders) if os.path.isdir(f))
            self._fill_folder_list()
            self._update_library_label()
            if folders:
                self.indexer.index(folders, remembered=rescan)
            elif rescan and self.sidebar.folders:
                self.indexer.index()

    def _on_photos_indexed(self, records: list[PhotoRecord]) -> None:
        added = self.model.upsert([r.row for r in records])
        self.query.library_changed()
        if added:
            self.sidebar.count_new_photos(row[ROW_PATH] for row in added)
            self._update_library_label()
            if not self._counts_timer.isActive():
                self._counts_timer.start()

    def _on_progress(self, progress: Progress) -> None:
        self.indexing_status.show_progress(progress)
        if progress.phase == "comparing":
            self.duplicates.set_comparing(True)

    def _on_index_state(self, state: str) -> None:
        self.indexing_status.show_state(state, self.indexer.last_progress)
        self.duplicates.set_indexing(state in ("indexing", "pausing"))
        self.series.set_indexing(state in ("indexing", "pausing"))
        self._update_actions()
        self._update_empty_state()

    def _on_index_finished(self, run: IndexRun) -> None:
        # The library snapshot that follows shows these with the files that failed.
        self._unreadable = list(run.index.unreadable_folders)
        summary = self.indexing_status.run_finished(run)
        if summary is not None:
            self.tell(summary, style.REPORT_MS)

    def _on_folder_forgotten(self, report: ForgetReport) -> None:
        self.tell(
            tr("Removed {folder} from the library ({count} forgotten; nothing was deleted from "
               "disk).").format(folder=report.folder,
                                count=counted(report.photos, '%Ln photo(s)')), style.DONE_MS)
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

    def show_series(self) -> None:
        self.act_series.setChecked(True)
        self.modes.setCurrentWidget(self.series)

    def _export_duplicates(self, fmt: str) -> None:
        self.show_duplicates()
        if self.duplicates.searching:
            self.tell(tr("Still looking for duplicates: export when the list "
                         "is complete."), style.NOTICE_MS)
            return
        self.duplicates.export(fmt)

    def _on_duplicates_strictness(self, strictness: Strictness) -> None:
        self.panel.set_strictness(strictness)
        self.series.library_changed()  # a shot is a photo with its copies at this strictness

    def _set_undoable(self, summary: BatchSummary | None) -> None:
        self.undoable = summary
        if summary is None:
            self.act_undo.setText(tr("&Undo"))
            self.act_undo.setEnabled(False)
        else:
            self.act_undo.setText(tr("&Undo {describe}").format(describe=batch_text(summary)))
            self.act_undo.setEnabled(not self.indexer.acting)

    def undo(self) -> None:
        """Put back the photos of the last move to the trash or to a folder."""
        if self.undoable is None or self.indexer.acting:
            return
        self.act_undo.setEnabled(False)
        self.tell(tr("Undoing {describe}…").format(describe=batch_text(self.undoable)))
        self.indexer.undo()

    def _on_action_finished(self, _report: ActionReport | UndoReport | None) -> None:
        self.review.refresh()  # a move may carry decisions to the copies kept
        if not self.indexer.indexing:
            self.indexing_status.hide()
        self._set_undoable(self.undoable)

    def _on_job_failed(self, message: str) -> None:
        self.tell(message, style.REPORT_MS)
        self.indexing_status.show_failure(message)

    def _update_actions(self) -> None:
        state = self.indexer.state
        indexing = state == "indexing"
        self.act_stop.setEnabled(state in ("indexing", "pausing", "paused"))
        if state in ("paused", "stopped"):
            self.act_pause.setText(tr("&Resume"))
            self.act_pause.setIcon(theme_icon(self, "media-playback-start",
                                         QStyle.StandardPixmap.SP_MediaPlay))
            self.act_pause.setToolTip(tr("Resume indexing where it stopped"))
            self.act_pause.setEnabled(True)
        else:
            self.act_pause.setText(tr("&Pause"))
            self.act_pause.setIcon(theme_icon(self, "media-playback-pause",
                                         QStyle.StandardPixmap.SP_MediaPause))
            self.act_pause.setToolTip(tr("Pause indexing; it resumes where it stopped"))
            self.act_pause.setEnabled(indexing)

    def _update_library_label(self) -> None:
        photos = self.model.rowCount()
        folders = len(self.sidebar.folders)
        self.library_label.setText(
            tr("{count} in {count2}").format(count=counted(photos, '%Ln photo(s)'),
                                             count2=counted(folders, '%Ln folder(s)')))
        self.library_label.setToolTip(tr("Library: {library_root}").format(
                                          library_root=self.library_root))
        self.sidebar.set_total(photos)

    def _update_problems_button(self) -> None:
        files, folders = self.problems.file_count, self.problems.folder_count
        if not files and not folders:
            self.problems_button.hide()
            return
        parts = []
        if files:
            parts.append(tr("{files} could not be read").format(
                files=counted(files, "%Ln file(s)")))
        if folders:
            parts.append(tr("{folders} could not be opened").format(
                folders=counted(folders, "%Ln folder(s)")))
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
        self.tell(tr("Decision undone: its photos are reviewed again."), style.REPORT_MS)

    def _on_decisions_imported(self, added: int, known: int) -> None:
        self.tell(tr("Imported {added} decisions ({known} already there).").format(added=added,
                                                                                   known=known),
                                     style.REPORT_MS)

    def _on_decisions_exported(self, count: int, path: Path) -> None:
        self.tell(tr("Saved {count} decisions to {path}").format(count=count, path=path),
                  style.REPORT_MS)

    def _on_review_loaded(self, state: ReviewState) -> None:
        if state.empty:
            return
        self.duplicates.restore_review(state)
        parts = []
        if state.marks:
            parts.append(tr("{photos} marked").format(
                photos=counted(len(state.marks), "%Ln photo(s)")))
        if state.done:
            parts.append(tr("{groups} done").format(
                groups=counted(len(state.done), "%Ln group(s)")))
        when = ""
        if state.updated_at is not None:
            when = time.strftime(tr(" (last changed %a %d %b, %H:%M)"),
                                 time.localtime(state.updated_at))
        self.resume_label.setText(
            tr("<b>You were reviewing duplicates</b>: {progress}{when}. Continue where you left "
               "off?").format(progress=', '.join(parts), when=when))
        self.resume_bar.show()

    def continue_review(self) -> None:
        """Open the Duplicates view on the group the user was on, with their marks."""
        self.resume_bar.hide()
        self.show_duplicates()

    def start_review_over(self) -> None:
        """Forget the saved marks and done groups (decisions stay)."""
        self.resume_bar.hide()
        self.duplicates.start_over()
        self.tell(tr("Review started over: the groups show the keep rules' "
                     "marks again. Your decisions stay."), style.DONE_MS)

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
        self.series.library_changed()
        self.size_slider.setValue(self.settings.thumbnail_size)
        if self.settings.device != old_device and isinstance(self.embedder, EmbedderProvider) \
                and "onnxruntime" not in sys.modules and "torch" not in sys.modules:
            self.embedder = BackgroundEmbedderProvider(self.settings.device)
            self.indexer.embedder = self.embedder
            self.query.embedder = self.embedder
        self.settings_dialog = None

    def tell(self, text: str, timeout_ms: int = 0) -> None:
        """A message in the status bar (for `timeout_ms`, or until the next one)."""
        self.statusBar().showMessage(text, timeout_ms)

    def show_about(self) -> None:
        QMessageBox.about(self, tr("About simfinder"), about_html())
