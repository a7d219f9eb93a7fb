"""Convert the ALQAC 2023 legal corpus (v1.1) into one Markdown file per law.

Each law becomes ``corpora/documents/laws/<slug>.md``::

    # Luật Cư trú

    ## Điều 1. Phạm vi điều chỉnh

    body paragraphs...

The first line of an article is its title, except in articles that have no
title (all articles of the Constitution): their first line is already body
text, so the heading is just ``## Điều N``.  Text is NFC-normalised, trailing
whitespace is stripped and runs of blank lines are collapsed to one.  Three
articles have only a title in the source; they are kept as a bare heading.
The output is deterministic.
"""

import argparse
import json
import re
import unicodedata
from pathlib import Path

from ragtune.prompt import nfc

REPO_ROOT = Path(__file__).resolve().parent.parent


def slugify(name: str) -> str:
    """ASCII slug of a Vietnamese name: 'Luật Cư trú' -> 'luat-cu-tru'."""
    text = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def clean(text: str) -> str:
    """NFC, no trailing whitespace on any line, at most one blank line in a row."""
    lines = [line.rstrip() for line in nfc(text).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def has_title(first_line: str) -> bool:
    """A title line is short text that is neither a numbered clause nor a sentence."""
    return not (re.match(r"\d+\.\s", first_line) or first_line.endswith((".", ":", ";")))


def render_article(article: dict) -> str:
    """Markdown section for one article."""
    text = clean(article["text"])
    first, _, rest = text.partition("\n")
    if has_title(first):
        heading, body = f"## Điều {article['id']}. {first.strip()}", rest.strip()
    else:
        heading, body = f"## Điều {article['id']}", text
    return f"{heading}\n\n{body}\n" if body else f"{heading}\n"


def render_law(law: dict) -> str:
    """Whole Markdown document for one law."""
    title = clean(law["id"])
    parts = [f"# {title}\n"] + [render_article(a) for a in law["articles"]]
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="../shared/evaldata/alqac_vi_legal/law_v1.1.json",
                        help="ALQAC law.json, relative to the repository root")
    parser.add_argument("--out", default="corpora/documents/laws",
                        help="output folder, relative to the repository root")
    args = parser.parse_args()

    laws = json.loads((REPO_ROOT / args.source).read_text(encoding="utf-8"))
    out_dir = REPO_ROOT / args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    n_articles = 0
    for law in laws:
        path = out_dir / f"{slugify(law['id'])}.md"
        path.write_text(render_law(law), encoding="utf-8")
        n_articles += len(law["articles"])
    print(f"wrote {len(laws)} laws ({n_articles} articles) to {out_dir}")


if __name__ == "__main__":
    main()
