"""Matching a folder's source messages with its target messages, as multisets.

Messages match when identity and internal date agree; two identical source messages need two
target messages. When a group of twins is only partly on the target, a digest of each body
decides which ones are there (and among equal bodies, equal flags), so a resumed copy brings
over the right twin with its own flags and date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from migrator.identity import MessageMeta

# Given source and target messages of one tie, their body digests by UID.
BodyDigests = Callable[
    [Sequence[MessageMeta], Sequence[MessageMeta]], tuple[dict[int, bytes], dict[int, bytes]]
]


@dataclass
class Match:
    missing: list[MessageMeta] = field(default_factory=list)  # source messages to copy
    present: list[tuple[MessageMeta, MessageMeta]] = field(default_factory=list)
    surplus: list[MessageMeta] = field(default_factory=list)  # target copies beyond the source's
    foreign: list[MessageMeta] = field(default_factory=list)  # target only


def match_messages(
    source: Sequence[MessageMeta],
    target: Sequence[MessageMeta],
    body_digests: BodyDigests | None = None,
) -> Match:
    """Pair source with target messages; without `body_digests` twins pair by count only."""
    match = Match()
    targets = _group(target)
    for group_key, sources in _group(source).items():
        candidates = targets.pop(group_key, [])
        if len(candidates) >= len(sources) or not candidates or body_digests is None:
            _pair(sources, candidates, match)
            continue
        source_digests, target_digests = body_digests(sources, candidates)
        by_digest: dict[bytes, tuple[list[MessageMeta], list[MessageMeta]]] = defaultdict(
            lambda: ([], [])
        )
        for m in sources:
            by_digest[source_digests.get(m.uid, b"")][0].append(m)
        for m in candidates:
            by_digest[target_digests.get(m.uid, b"")][1].append(m)
        for same_body_sources, same_body_targets in by_digest.values():
            _pair(same_body_sources, same_body_targets, match)
    for leftovers in targets.values():
        match.foreign.extend(leftovers)
    return match


def _group(messages: Sequence[MessageMeta]) -> dict[tuple[bytes, int], list[MessageMeta]]:
    groups: dict[tuple[bytes, int], list[MessageMeta]] = defaultdict(list)
    for m in messages:
        groups[(m.key, m.timestamp)].append(m)
    return groups


def _pair(sources: list[MessageMeta], targets: list[MessageMeta], match: Match) -> None:
    """Pair equal flags first, so that flags stay with the twin they belong to."""
    unpaired = list(targets)
    rest = []
    for s in sources:
        same = next((t for t in unpaired if set(t.flags) == set(s.flags)), None)
        if same is None:
            rest.append(s)
        else:
            unpaired.remove(same)
            match.present.append((s, same))
    for s in rest:
        if unpaired:
            match.present.append((s, unpaired.pop(0)))
        else:
            match.missing.append(s)
    match.surplus.extend(unpaired)
