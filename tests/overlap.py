"""Shared runs of words between our text and the article the habits were derived from.

The article itself is not in this repository: ``tests/data/article-8grams.txt``
holds only a hash of each run of 8 consecutive words of it, enough to tell
whether our text repeats one. Regenerate with
``python -m tests.overlap PATH-TO-ARTICLE > tests/data/article-8grams.txt``.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

N = 8
HASHES = Path(__file__).resolve().parent / "data" / "article-8grams.txt"


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))


def grams(text: str, n: int = N) -> list[str]:
    w = words(text)
    return [" ".join(w[i : i + n]) for i in range(len(w) - n + 1)]


def digest(gram: str) -> str:
    return hashlib.sha256(gram.encode()).hexdigest()[:16]


def article_hashes() -> set[str]:
    return {line.strip() for line in HASHES.read_text().splitlines() if line.strip() and not line.startswith("#")}


if __name__ == "__main__":
    text = Path(sys.argv[1]).read_text(encoding="utf-8")
    print(f"# sha256[:16] of every run of {N} words of the source article, sorted")
    print("\n".join(sorted({digest(g) for g in grams(text)})))
