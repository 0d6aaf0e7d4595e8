//! A lesson's Markdown as safe HTML for the app's web view: no raw HTML, no scripts, no links
//! that leave the pack, images only from the installed pack.

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

use super::manifest::check_path;

/// Renders `markdown` to an HTML fragment. Image sources must be pack files
/// (`images/x.svg`); `image_url` turns one into the URL to show (a `data:` URL of the verified
/// bytes, say) or `None` to drop it. Raw HTML in the Markdown is shown as text, links keep
/// their text but lose their target, and images that cannot be shown leave their description.
pub fn render_html(markdown: &str, image_url: impl Fn(&str) -> Option<String>) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut skipping_image = 0usize;
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        // Raw HTML becomes visible text: nothing in a lesson may run or style the page.
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        // A web view must not navigate away from the lesson: keep only the link's text.
        Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => None,
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let url = (skipping_image == 0 && is_pack_path(&dest_url))
                .then(|| image_url(&dest_url))
                .flatten();
            let Some(url) = url else {
                skipping_image += 1;
                return None;
            };
            Some(Event::Start(Tag::Image {
                link_type: LinkType::Inline,
                dest_url: CowStr::from(url),
                title,
                id: if matches!(link_type, LinkType::Inline) {
                    id
                } else {
                    CowStr::Borrowed("")
                },
            }))
        }
        Event::End(TagEnd::Image) if skipping_image > 0 => {
            skipping_image -= 1;
            None
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// A complete page around a rendered lesson: phone-sized type and a content security policy
/// that forbids scripts and any loading except `data:` images (lessons embed theirs).
pub fn render_page(title: &str, body_html: &str) -> String {
    let escaped_title = escape(title);
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">\
<title>{escaped_title}</title><style>{CSS}</style></head>\n<body>\n{body_html}</body></html>\n"
    )
}

/// Large, high-contrast text for older readers in daylight.
const CSS: &str = "body{font:18px/1.7 sans-serif;margin:0 auto;padding:12px 16px;max-width:720px;color:#1b1b1b;background:#fff}\
h1{font-size:1.5em}h2{font-size:1.25em}img{max-width:100%;height:auto}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px 6px}td:first-child,th:first-child{white-space:nowrap}";

/// Escapes text for HTML element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    text.chars().for_each(|c| push_escaped(c, &mut out));
    out
}

/// Appends `c` to `out`, escaped for HTML text and quoted attributes (search highlighting
/// escapes with this too).
pub(crate) fn push_escaped(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

fn is_pack_path(url: &str) -> bool {
    check_path(url).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown_with_tables_and_pack_images() {
        let html = render_html(
            "# 变黄期\n\n| 步 | 干球 |\n|---|---|\n| Y1 | 38 ℃ |\n\n![曲线](images/curve.svg)",
            |p| Some(format!("file:///data/lessons/p/v1/{p}")),
        );
        assert!(html.contains("<h1>变黄期</h1>"), "{html}");
        assert!(html.contains("<td>38 ℃</td>"), "{html}");
        assert!(
            html.contains("<img src=\"file:///data/lessons/p/v1/images/curve.svg\" alt=\"曲线\""),
            "{html}"
        );
    }

    #[test]
    fn nothing_can_run_or_leave_the_pack() {
        let md = "<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> [点我](javascript:alert(1)) \
                  [外链](https://example.com)\n\n![远程](https://evil.example/x.png) ![逃逸](../../etc/passwd)";
        let html = render_html(md, |p| Some(format!("base/{p}")));
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("href"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("evil.example"), "{html}");
        assert!(!html.contains("passwd"), "{html}");
        assert!(
            html.contains("点我") && html.contains("外链"),
            "link text stays: {html}"
        );
        assert!(
            html.contains("远程") && html.contains("逃逸"),
            "image descriptions stay: {html}"
        );
    }

    #[test]
    fn images_the_resolver_cannot_show_leave_their_description() {
        let html = render_html("![曲线](images/missing.svg) 后文", |_| None);
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("曲线") && html.contains("后文"), "{html}");
    }

    #[test]
    fn page_has_a_strict_content_security_policy() {
        let page = render_page("<变黄>", "<p>x</p>");
        assert!(page.contains("default-src 'none'; img-src data:;"));
        assert!(page.contains("<title>&lt;变黄&gt;</title>"));
        assert!(!page.contains("<script"));
    }
}
