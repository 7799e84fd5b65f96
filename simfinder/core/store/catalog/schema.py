"""The catalog's schema, as the ordered migrations that build it (SQLite's user_version)."""

# Each entry upgrades the schema from version i to i + 1 (SQLite's user_version).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        added_at REAL NOT NULL
    );
    CREATE TABLE contents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: it is the vector index label
        digest BLOB NOT NULL UNIQUE,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        format TEXT NOT NULL,
        taken_at TEXT,
        camera TEXT,
        phash INTEGER NOT NULL,
        dhash INTEGER NOT NULL,
        model TEXT NOT NULL,
        embedding BLOB NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_id INTEGER NOT NULL REFERENCES contents(id),
        indexed_at REAL NOT NULL
    );
    CREATE INDEX files_by_content ON files(content_id);
    CREATE TABLE errors (
        path BLOB PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        reason TEXT NOT NULL,
        at REAL NOT NULL
    );
    """,
    # The action journal: every move to the trash or to a folder, written before the file is
    # touched and completed after, so Undo and crash recovery know where each file is.
    """
    CREATE TABLE action_batches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,  -- "trash" or "move"
        target BLOB,  -- the folder files were moved into
        started_at REAL NOT NULL,
        finished_at REAL,  -- NULL while running, or if the run was killed
        undone_at REAL
    );
    CREATE TABLE action_items (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES action_batches(id),
        source BLOB NOT NULL,  -- where the file was
        dest BLOB,  -- where it went (its trash entry, or its path in the target folder)
        record BLOB,  -- the trash's record of it (.trashinfo, $I file), if any
        size INTEGER NOT NULL,
        digest BLOB,
        state TEXT NOT NULL,  -- see JOURNAL_STATES
        error TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX action_items_by_batch ON action_items(batch_id);
    """,
    # Evidence for telling copies from other shots. `content_turns`: the pHash and dHash of each
    # content after each of the seven flips and quarter-turns (hashes.TRANSFORMS), 7 unsigned
    # big-endian 64-bit values per BLOB. `pair_checks`: geometric verifications of candidate
    # pairs (a < b), kept so that grouping again only verifies new pairs; `version` is the
    # verifier's (verify.VERIFY_VERSION). Both go with their contents.
    """
    CREATE TABLE content_turns (
        content_id INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
        phashes BLOB NOT NULL,
        dhashes BLOB NOT NULL
    );
    CREATE TABLE pair_checks (
        a INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        b INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        matches INTEGER NOT NULL,
        inliers INTEGER NOT NULL,
        residual REAL,
        misfit REAL,
        drift REAL,
        agreement REAL NOT NULL,
        overlap REAL NOT NULL,
        mirrored INTEGER NOT NULL,
        angle REAL NOT NULL,
        scale REAL NOT NULL,
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
    CREATE INDEX pair_checks_by_b ON pair_checks(b);
    """,
    # The user's decisions about groups ("not duplicates", "keep all") and the review in
    # progress. Decisions name their files by content digest (and the path each had, to show
    # it and to count copies), not by content id: they outlive renames, moves, and contents
    # that leave the library and come back. `review_marks`: the keep marks the user set (by
    # path: exact copies share a digest); `review_done`: groups the user has been through (by
    # decisions.group_key); `review_position`: where the review was.
    """
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,  -- "keep-all" or "not-duplicates"
        scope TEXT NOT NULL,  -- "group" (a whole group as shown) or "photos" (some of one)
        made_at REAL NOT NULL
    );
    CREATE TABLE decision_files (
        decision_id INTEGER NOT NULL REFERENCES decisions(id) ON DELETE CASCADE,
        digest BLOB NOT NULL,
        path BLOB NOT NULL,  -- where the file was when the decision was made
        PRIMARY KEY (decision_id, path)
    ) WITHOUT ROWID;
    CREATE INDEX decision_files_by_digest ON decision_files(digest);
    CREATE TABLE review_marks (
        path BLOB PRIMARY KEY,
        keep INTEGER NOT NULL,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE review_done (
        group_key BLOB PRIMARY KEY,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE review_position (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        strictness TEXT NOT NULL,
        group_key BLOB,  -- the group the user was on
        at REAL NOT NULL
    );
    """,
    # Each content's forward neighbour list (indexing.neighbours): its nearest other contents in
    # the vector index when its vector was added, with their cosines, so that grouping does
    # not search every photo's neighbours again. `labels`: little-endian int32 content ids
    # (ids count the distinct photos ever indexed: far below 2**31), -1 padding; `cosines`:
    # little-endian float32 (as the search gives them), -inf padding. A list made with another
    # model's embeddings (`model`) is stale. Rows go with their contents.
    """
    CREATE TABLE content_neighbours (
        content_id INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        labels BLOB NOT NULL,
        cosines BLOB NOT NULL
    );
    """,
    # Background work done for the library as it was (`stage`, e.g. "compare likely copies"):
    # `fingerprint` says what the library held then (its contents, their models, the versions
    # the work depends on), so that the next run can tell, without redoing the work, whether
    # anything is left to do.
    """
    CREATE TABLE stages_done (
        stage TEXT PRIMARY KEY,
        fingerprint BLOB NOT NULL,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # Same capture or another (core.matching.capture), for pairs (a < b) the thumbnails call copies:
    # `other_capture` 1 for another exposure or moment of the scene, with the reason in words
    # and the pixel measure (NULL: not measured); `version` is capture.CAPTURE_VERSION.
    """
    CREATE TABLE capture_checks (
        a INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        b INTEGER NOT NULL REFERENCES contents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        other_capture INTEGER NOT NULL,
        reason TEXT NOT NULL,
        clipped_detail REAL,
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
    CREATE INDEX capture_checks_by_b ON capture_checks(b);
    """,
    # Settings that change results, kept with the library so that the app and the command
    # line agree (app.library_settings): key -> JSON value.
    """
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # Offline folders (indexing.offline): a folder root, or a subfolder, whose photos vanished all
    # at once (an unmounted drive, a NAS that is down, an empty mount point). Its files stay in
    # `files` until the folder is back or the user forgets them. `device` and `mounted`: the
    # folder root's st_dev and whether it was a mount point when last scanned online (NULL:
    # not known yet), to tell an empty mount point from the drive it stands for.
    """
    ALTER TABLE folders ADD COLUMN device INTEGER;
    ALTER TABLE folders ADD COLUMN mounted INTEGER;
    CREATE TABLE offline_folders (
        path BLOB PRIMARY KEY,
        reason TEXT NOT NULL,  -- in plain words: "not mounted", "empty", ...
        photos INTEGER NOT NULL,  -- indexed photos kept below it
        since REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # Companion files (core.photos.companions): sidecars, Takeout metadata, a Live Photo's video,
    # found by the scan beside their photo in `folder`, the folder they were listed in.
    # `photo_item`: in the journal, the item of the photo a companion went with (NULL for a
    # photo), so that a photo and its companions are one unit for Undo and its summary.
    """
    CREATE TABLE companions (
        path BLOB PRIMARY KEY,
        photo BLOB NOT NULL,
        folder BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX companions_by_photo ON companions(photo);
    CREATE INDEX companions_by_folder ON companions(folder);
    ALTER TABLE action_items ADD COLUMN photo_item INTEGER;
    """,
    # Similar shots (core.matching.series). `shot_measures`: what the ranker measured in a
    # content (core.photos.shot_quality, JSON), `version` its QUALITY_VERSION.
    # `series_decisions` and their files: the user's decisions about series ("keep-all"), by
    # content digest and the path each file had, as `decisions` are for duplicate groups but
    # apart from them (a series is not a duplicate group: a decision about one says nothing
    # about the other).
    """
    CREATE TABLE shot_measures (
        content_id INTEGER PRIMARY KEY REFERENCES contents(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        measures TEXT NOT NULL
    );
    CREATE TABLE series_decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        made_at REAL NOT NULL
    );
    CREATE TABLE series_decision_files (
        decision_id INTEGER NOT NULL REFERENCES series_decisions(id) ON DELETE CASCADE,
        digest BLOB NOT NULL,
        path BLOB NOT NULL,
        PRIMARY KEY (decision_id, path)
    ) WITHOUT ROWID;
    """,
    # The similar-shots review in progress (app.series_session), saved as it changes as the
    # duplicates review is (review_marks, review_done) but apart from it (a series is not a
    # duplicate group), and by content so that a rescan keeps it: `series_marks`, the shots
    # marked for removal, by the digest of the file that stands for the shot; `series_done`,
    # the series the user is done with, by their key (the digests of their files: a series
    # that gains or loses a shot has another key, and is offered again).
    """
    CREATE TABLE series_marks (
        digest BLOB PRIMARY KEY,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE series_done (
        series_key BLOB PRIMARY KEY,
        at REAL NOT NULL
    ) WITHOUT ROWID;
    """,
    # Where the user was in the similar-shots review (the series' key), to go back there on
    # the next start as the Duplicates view does (review_position).
    """
    CREATE TABLE series_position (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        series_key BLOB NOT NULL,
        at REAL NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
