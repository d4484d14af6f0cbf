"""Report previews: Markdown rendered as bugzilla.mozilla.org shows a Markdown comment.

CommonMark with GitHub's tables and strikethrough, as BMO renders them; raw HTML is never
passed through (it is shown as text), images are not loaded (a link is shown instead; the
Content-Security-Policy would block them anyway), and markdown-it refuses ``javascript:`` and
other unsafe link targets. Headings move down two levels, so a report's ``#`` sits under the
page's own headings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML, RendererProtocol
from markdown_it.token import Token
from markupsafe import Markup

HEADING_SHIFT = 2


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"]).disable("image")

    def heading(
        renderer: RendererProtocol, tokens: Sequence[Token], index: int, options: Any, env: Any
    ) -> str:
        token = tokens[index]
        level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
        closing = token.nesting == -1
        return f"</h{level}>\n" if closing else f"<h{level}>"

    def link(
        renderer: RendererHTML, tokens: Sequence[Token], index: int, options: Any, env: Any
    ) -> str:
        tokens[index].attrSet("rel", "nofollow noopener noreferrer")
        rendered: str = renderer.renderToken(tokens, index, options, env)
        return rendered

    parser.add_render_rule("heading_open", heading)
    parser.add_render_rule("heading_close", heading)
    parser.add_render_rule("link_open", link)
    return parser


_PARSER = _parser()


def render(text: str) -> Markup:
    """The report as HTML. Every character of the text reaches the page escaped: markdown-it
    escapes text and attributes, and raw HTML is disabled."""
    return Markup(_PARSER.render(text))
