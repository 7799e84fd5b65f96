"""The pairs the comparing stage verifies, labelled copy / other shot / unrelated, with their cheap
evidence: what a rule proposing fewer pairs for verification is fitted and checked on.

    .venv/bin/python bench/verified_pairs.py LIBRARIES_DIR OUT.csv
    .venv/bin/python bench/verified_pairs.py --summary OUT.csv [FLOOR ...]

LIBRARIES_DIR holds the libraries `bench/copies_compared.py run` indexed (lib-SETNAME, each set
named as bench/accuracy.py and copies_compared name them). For every pair the library's catalog
holds a verification of (what the comparing stage and grouping verified), one row: the set, the
two files, the truth (copy: one duplicate group or same-scene series; other: other shots of one
object or scene; none), the cosine, hash distances, each photo's rank of the other among its
nearest photos, the cosines of each photo's nearest photos, the thumbnails' shapes and colour
statistics, and the verification's measures with the verdicts at each strictness.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.accuracy import connected_groups, load_truth  # noqa: E402
from bench.copies_compared import folder_of  # noqa: E402
from simfinder.core.matching.candidates import find_candidates  # noqa: E402
from simfinder.core.matching.pairchecks import EVIDENCE_COLUMNS  # noqa: E402
from simfinder.core.matching.similarity import Strictness  # noqa: E402
from simfinder.core.matching.verdicts import copies_by_features, near_duplicates  # noqa: E402
from simfinder.core.matching.verify import VERIFY_VERSION  # noqa: E402
from simfinder.core.store.library import Library  # noqa: E402

FIELDS = ["set", "a", "b", "truth", "proposed", "cosine", "phash", "dhash", "turned",
          "rank_ab", "rank_ba", "first_a", "first_b", "sixth_a", "sixth_b",
          "aspect_a", "aspect_b", "grey_a", "grey_b", "colour_dist", "bright_dist",
          "matches", "inliers", "misfit", "drift", "agreement", "overlap",
          "copy_features", "dup_strict", "dup_normal", "dup_loose"]


def _thumb_stats(library: Library, digest: bytes) -> tuple[float, float, np.ndarray]:
    """Aspect ratio, saturation (0: grey) and a coarse colour description of a thumbnail."""
    with Image.open(library.thumbs.path_for(digest)) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.float64) / 255
    h, w = rgb.shape[:2]
    sat = float(np.mean(rgb.max(axis=2) - rgb.min(axis=2)))
    grey = rgb.mean(axis=2)
    chroma = rgb - grey[..., None]
    stats = np.array([grey.mean(), grey.std(), *chroma.reshape(-1, 3).mean(axis=0)])
    return w / h, sat, stats


def rows_of(name: str, root: Path) -> list[dict[str, object]]:
    truth = load_truth(folder_of(name))
    images = truth.images.resolve()
    label: dict[frozenset[str], str] = {}
    for kind, groups in (("other", truth.similar), ("copy", truth.groups + truth.series)):
        for g in groups:
            members = sorted(g)
            for i, x in enumerate(members):
                for y in members[i + 1:]:
                    label[frozenset((x, y))] = kind
    with Library.open(root) as library:
        cat = library.catalog
        names: dict[int, str] = {}
        digests = cat.content_digests()
        for cid in digests:
            for p in cat.photos_of_contents([cid]):
                try:
                    names.setdefault(cid, Path(p.path).resolve().relative_to(images).as_posix())
                except ValueError:
                    names.setdefault(cid, p.path)
        ids = np.array(sorted(library.vectors.labels()), dtype=np.int64)
        vecs = library.vectors.vectors(ids.tolist())
        sims = vecs @ vecs.T
        np.fill_diagonal(sims, -np.inf)
        order = np.argsort(-sims, axis=1)
        rank = np.empty_like(order)
        rank[np.arange(len(ids))[:, None], order] = np.arange(len(ids))[None, :] + 1
        top = -np.sort(-sims, axis=1)
        where = {int(c): k for k, c in enumerate(ids)}
        stats = {cid: _thumb_stats(library, d) for cid, d in digests.items() if cid in where}
        found = find_candidates(library, Strictness.LOOSE)
        proposed = {(int(a), int(b)) for a, b in found.pairs(found.verify)}
        keys, measures = cat.pair_check_table(VERIFY_VERSION)
        ev_at = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(found.a, found.b,
                                                                     strict=True))}
        out: list[dict[str, object]] = []
        for key, m in zip(keys.tolist(), measures, strict=True):
            a, b = key >> 32, key & 0xFFFFFFFF
            if a not in where or b not in where:
                continue
            ia, ib = where[a], where[b]
            k = ev_at.get((a, b))
            if k is None:
                continue
            single = found.evidence.with_measures(np.array([k]), m[EVIDENCE_COLUMNS][None, :])
            verdict = {lvl: bool(near_duplicates(single, lvl)[k]) for lvl in Strictness}
            sa, sb = stats[a], stats[b]
            out.append({
                "set": name, "a": names.get(a), "b": names.get(b),
                "truth": label.get(frozenset((names.get(a), names.get(b))), "none"),
                "proposed": int((a, b) in proposed),
                "cosine": round(float(sims[ia, ib]), 4),
                "phash": int(found.evidence.phash[k]), "dhash": int(found.evidence.dhash[k]),
                "turned": int(found.evidence.turned[k]),
                "rank_ab": int(rank[ia, ib]), "rank_ba": int(rank[ib, ia]),
                "first_a": round(float(top[ia, 0]), 4), "first_b": round(float(top[ib, 0]), 4),
                "sixth_a": round(float(top[ia, min(5, len(ids) - 2)]), 4),
                "sixth_b": round(float(top[ib, min(5, len(ids) - 2)]), 4),
                "aspect_a": round(sa[0], 3), "aspect_b": round(sb[0], 3),
                "grey_a": round(sa[1], 4), "grey_b": round(sb[1], 4),
                "colour_dist": round(float(np.abs(sa[2][2:] - sb[2][2:]).sum()), 4),
                "bright_dist": round(float(np.abs(sa[2][:2] - sb[2][:2]).sum()), 4),
                **{c: float(v) for c, v in zip(FIELDS[21:27], m[EVIDENCE_COLUMNS], strict=True)},
                "copy_features": int(copies_by_features(m[EVIDENCE_COLUMNS][None, :],
                                                        Strictness.LOOSE)[0]),
                "dup_strict": int(verdict[Strictness.STRICT]),
                "dup_normal": int(verdict[Strictness.NORMAL]),
                "dup_loose": int(verdict[Strictness.LOOSE]),
            })
    return out


def _cheap(r: dict[str, float]) -> bool:
    """What the rules accept at loose without a verification (similarity.RULES[LOOSE]: cosine
    alone, cosine with close hashes, the same layout as is or turned)."""
    return (r["cosine"] >= 0.94 or (r["cosine"] >= 0.85 and max(r["phash"], r["dhash"]) <= 12)
            or (r["cosine"] >= 0.45 and (r["phash"] + r["dhash"] <= 8
                                         or 0 <= r["turned"] <= 8)))


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Each file of the pairs -> one representative of its connected group."""
    linked: dict[str, list[str]] = defaultdict(list)
    for a, b in pairs:
        linked[a].append(b)
    return {x: min(group) for group in connected_groups(linked) for x in group}


def summary(path: Path, floors: list[float]) -> None:
    rows: list[dict[str, float]] = []
    names: list[tuple[str, str, str, str]] = []
    with path.open() as f:
        for raw in csv.DictReader(f):
            names.append((raw["set"], raw["a"], raw["b"], raw["truth"]))
            rows.append({k: float(v) for k, v in raw.items() if k not in ("set", "a", "b",
                                                                            "truth")})
    by_set: dict[str, list[int]] = defaultdict(list)
    for k, (name, *_rest) in enumerate(names):
        by_set[name].append(k)
    print("| set | pairs verified | copy pairs only verification accepts | their lowest cosine |"
          " other pairs' cosine p50 / p95 / max |")
    print("|---|---|---|---|---|")
    for name, ks in sorted(by_set.items()):
        needed = [rows[k]["cosine"] for k in ks if names[k][3] == "copy"
                  and rows[k]["dup_loose"] and not _cheap(rows[k])]
        other = np.array([rows[k]["cosine"] for k in ks if names[k][3] != "copy"])
        low = f"{min(needed):.3f}" if needed else "-"
        spread = (" / ".join(f"{np.percentile(other, q):.3f}" for q in (50, 95, 100))
                  if len(other) else "-")
        print(f"| {name} | {len(ks)} | {len(needed)} | {low} | {spread} |")
    for floor in floors:
        print(f"\nA cosine floor of {floor} on the pairs only verification can accept:")
        for name, ks in sorted(by_set.items()):
            kept = [k for k in ks if _cheap(rows[k]) or rows[k]["cosine"] >= floor]
            cut: set[tuple[str, str]] = set()
            for level in ("dup_strict", "dup_normal", "dup_loose"):
                after = _joined([names[k][1:3] for k in kept if rows[k][level]])
                for k in ks:
                    a, b = names[k][1:3]
                    if rows[k][level] and after.get(a, a) != after.get(b, b):
                        cut.add((a, b))
            print(f"  {name}: {len(ks)} -> {len(kept)} pairs, copy links cut: {len(cut)}"
                  + (f" (e.g. {sorted(cut)[0]})" if cut else ""))


def main() -> None:
    if sys.argv[1] == "--summary":
        summary(Path(sys.argv[2]), [float(x) for x in sys.argv[3:]])
        return
    libraries, out = Path(sys.argv[1]), Path(sys.argv[2])
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for lib in sorted(libraries.glob("lib-*")):
            rows = rows_of(lib.name.removeprefix("lib-"), lib)
            writer.writerows(rows)
            print(f"{lib.name}: {len(rows)} pairs", file=sys.stderr)


if __name__ == "__main__":
    main()
