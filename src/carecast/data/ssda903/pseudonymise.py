"""Replace child (and carer) identifiers with a keyed hash, using a secret kept in the
workspace folder.

A keyed hash (HMAC-SHA256) rather than a plain hash: CHILD ids are short numbers, so an
unkeyed hash could be reversed by trying every id. The secret never leaves the workspace
folder (mode 0600), so the same child gets the same pseudonym across ingests there and a
different one anywhere else.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pandas as pd

from carecast.data.workspace import Workspace

SECRET_FILE = "secret.key"
PREFIX = "c"
DIGEST_CHARS = 16  # 64 bits: collisions negligible for any council's few thousand children
KINDS = {"child": PREFIX, "carer": "h", "sibling_group": "g"}
"""Whose identifier: children keep the bare id as the keyed message (pseudonyms stable
across versions); carers' ids are hashed as ``carer:<id>``, so a carer and a child with the
same number never share a digest (sibling groups on a referral file likewise)."""


def workspace_secret(root: Path) -> bytes:
    """The workspace's pseudonymisation key (see :meth:`Workspace.secret`)."""
    return Workspace(root).secret(SECRET_FILE)


def pseudonym(child: str, secret: bytes, kind: str = "child") -> str:
    message = child.strip() if kind == "child" else f"{kind}:{child.strip()}"
    digest = hmac.digest(secret, message.encode("utf-8"), hashlib.sha256).hex()
    return f"{KINDS[kind]}{digest[:DIGEST_CHARS]}"


def pseudonymise(values: pd.Series, secret: bytes, known: dict[str, str] | None = None,
                 kind: str = "child") -> pd.Series:
    """Pseudonyms for a column of child (or, with ``kind="carer"``, carer) ids, hashing
    each distinct id once.

    ``known`` (id -> pseudonym) carries hashes over between calls, e.g. from a return's
    Header to its Episodes, where the same children appear again.
    """
    known = {} if known is None else known
    codes, uniques = pd.factorize(values)
    hashed = []
    for u in uniques:
        text = str(u)
        if text not in known:
            known[text] = pseudonym(text, secret, kind)
        hashed.append(known[text])
    mapped = np.array([*hashed, None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)
