//! Covering identity on PDF page images, inside the PDF child process: the parent names the
//! texts to cover on each page ([`Cover`]: what the de-identification removes from that
//! page's text, and why), the child finds their glyphs and paints an opaque box over them
//! before the image is encoded.
//!
//! Glyphs are located by hayro's own interpreter, with the transform the page is rendered
//! with (render scale, the page's CropBox origin, its rotation and the y flip), so a glyph's
//! box is in the pixmap's pixels. Each glyph's Unicode text comes from the font (ToUnicode,
//! then glyph names); its box is its outline's bounds. A page is *withheld* (shown as its
//! redacted text instead of an image) when it has no visible text layer (a scan, an OCR'd
//! scan whose text is invisible, text drawn as shapes), or when a text the parent asked to
//! cover on it is not found among its glyphs (another encoding, a Type 3 font).

use hayro::hayro_interpret::font::{Glyph, GlyphRun};
use hayro::hayro_interpret::hayro_cmap::BfString;
use hayro::hayro_interpret::{
    BlendMode, ClipPath, Device, DrawMode, DrawProps, Image, ImageDrawProps, SoftMask,
};
use hayro::kurbo::{Affine, BezPath, Point, Rect, Shape, Vec2};
use serde::{Deserialize, Serialize};

/// The largest [`Cover`] the child reads (JSON).
pub const MAX_COVER_BYTES: u64 = 4 << 20;

/// What the page images must not show: for each page (the first at index 0) the texts the
/// de-identification removes from its text, and why. Every text is looked for on every
/// page; the page's own texts must be found on it, or its image is withheld.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cover {
    pub pages: Vec<Vec<CoverText>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CoverText {
    /// The text as it stands in the page's text (matched in any case, as whole words).
    pub text: String,
    /// Why it is covered: `name`, `email`, `home folder`, `secret (...)`.
    pub reason: String,
}

/// One opaque box painted over a page image, in the image's pixels (never the text it
/// covers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CoverBox {
    pub reason: String,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The colour of the boxes: opaque black (RGBA).
pub const BOX_RGBA: [u8; 4] = [0, 0, 0, 255];

/// A glyph as drawn: its text, its box in pixels, where its origin is, its size.
struct Located {
    text: String,
    bounds: Option<Rect>,
    origin: Point,
    /// The glyph's writing direction (unit vector, pixels) and its em in pixels.
    direction: Vec2,
    em: f64,
    visible: bool,
}

/// A device that draws nothing and keeps every glyph.
#[derive(Default)]
struct Glyphs {
    glyphs: Vec<Located>,
}

impl<'a> Device<'a> for Glyphs {
    fn draw_path(&mut self, _: &BezPath, _: DrawProps<'a>, _: &DrawMode) {}
    fn push_clip_path(&mut self, _: &ClipPath) {}
    fn push_transparency_group(&mut self, _: f32, _: Option<SoftMask<'a>>, _: BlendMode) {}
    fn draw_image(&mut self, _: Image<'a, '_>, _: ImageDrawProps<'a>) {}
    fn pop_clip(&mut self) {}
    fn pop_transparency_group(&mut self) {}

    fn draw_glyph_run(&mut self, run: &GlyphRun<'_, 'a>, props: DrawProps<'a>, mode: &DrawMode) {
        let visible = !matches!(mode, DrawMode::Invisible);
        for glyph in run.glyphs() {
            let t = props.transform * glyph.transform();
            let text = match glyph.as_unicode() {
                Some(BfString::Char(c)) => c.to_string(),
                Some(BfString::String(s)) => s,
                None => String::new(),
            };
            let bounds = match &**glyph {
                Glyph::Outline(outline) => {
                    let ink = outline.outline().bounding_box();
                    (ink.width() > 0.0 || ink.height() > 0.0).then(|| t.transform_rect_bbox(ink))
                }
                // Drawn by content streams of their own: not located.
                Glyph::Type3(_) => None,
            };
            let origin = t * Point::ZERO;
            let along = t * Point::new(1000.0, 0.0) - origin;
            let up = t * Point::new(0.0, 1000.0) - origin;
            let em = up.hypot();
            let direction = if along.hypot() > 0.0 {
                along / along.hypot()
            } else {
                Vec2::new(1.0, 0.0)
            };
            if !em.is_finite() || em <= 0.0 {
                continue;
            }
            self.glyphs.push(Located {
                text,
                bounds,
                origin,
                direction,
                em,
                visible,
            });
        }
    }
}

/// One character of the page's glyph text: lower-cased, the glyph it came from, and
/// whether a space (drawn or a gap) stands before it.
struct Char {
    c: char,
    glyph: usize,
    space_before: bool,
}

/// The page's glyphs as text: characters in drawing order, spaces (drawn, or gaps of a
/// quarter em, or a new line) noted on the character after them.
fn page_chars(glyphs: &[Located]) -> Vec<Char> {
    let mut chars = Vec::new();
    let mut space = true;
    let mut previous: Option<&Located> = None;
    for (i, g) in glyphs.iter().enumerate() {
        if let Some(p) = previous {
            let delta = g.origin - p.origin;
            let along = delta.dot(p.direction);
            let across = delta.cross(p.direction).abs();
            let extent = p.bounds.map_or(0.5 * p.em, |b| {
                [
                    Point::new(b.x0, b.y0),
                    Point::new(b.x1, b.y0),
                    Point::new(b.x0, b.y1),
                    Point::new(b.x1, b.y1),
                ]
                .iter()
                .map(|c| (*c - p.origin).dot(p.direction))
                .fold(0.0, f64::max)
            });
            if across > 0.5 * p.em || along < -0.1 * p.em || along > extent + 0.25 * p.em {
                space = true;
            }
        }
        for c in g.text.chars().flat_map(char::to_lowercase) {
            if c.is_whitespace() {
                space = true;
                continue;
            }
            chars.push(Char {
                c,
                glyph: i,
                space_before: space,
            });
            space = false;
        }
        previous = Some(g);
    }
    chars
}

/// Every whole-word occurrence of `target` (any case, spacing ignored) as glyph index
/// ranges.
fn occurrences(chars: &[Char], target: &str) -> Vec<(usize, usize)> {
    let key: Vec<char> = target
        .chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .collect();
    let (Some(first), Some(last)) = (key.first(), key.last()) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    if key.len() > chars.len() {
        return found;
    }
    for start in 0..=chars.len() - key.len() {
        if !chars[start..start + key.len()]
            .iter()
            .zip(&key)
            .all(|(a, b)| a.c == *b)
        {
            continue;
        }
        let end = start + key.len();
        let open = !first.is_alphanumeric()
            || start == 0
            || chars[start].space_before
            || !chars[start - 1].c.is_alphanumeric();
        let close = !last.is_alphanumeric()
            || end == chars.len()
            || chars[end].space_before
            || !chars[end].c.is_alphanumeric();
        if open && close {
            found.push((chars[start].glyph, chars[end - 1].glyph));
        }
    }
    found
}

/// The boxes over glyphs `first..=last`: one per line, each the union of the glyphs'
/// bounds grown by a tenth of an em (two pixels at least); `None` when a glyph of the
/// range has no bounds it can be located by.
fn boxes_over(glyphs: &[Located], first: usize, last: usize) -> Option<Vec<Rect>> {
    let mut boxes: Vec<Rect> = Vec::new();
    let mut line: Option<(Rect, &Located)> = None;
    for g in &glyphs[first..=last] {
        if g.text.trim().is_empty() {
            continue;
        }
        let bounds = g.bounds?;
        let pad = (0.1 * g.em).max(2.0);
        let grown = bounds.inflate(pad, pad);
        line = match line {
            Some((rect, start))
                if (g.origin - start.origin).cross(start.direction).abs() <= 0.5 * start.em =>
            {
                Some((rect.union(grown), start))
            }
            Some((rect, _)) => {
                boxes.push(rect);
                Some((grown, g))
            }
            None => Some((grown, g)),
        };
    }
    boxes.extend(line.map(|(rect, _)| rect));
    Some(boxes)
}

/// Why a page's image is not shown.
pub const NO_TEXT_LAYER: &str = "this page has no text layer (a scanned page, or text drawn as shapes): a name on it could not be found, so its image is not shown";
pub const NOT_LOCATED: &str = "identity found in this page's text could not be located on its image, so the image is not shown";

/// Finds the glyphs of `page` rendered with `transform` into a `width`×`height` pixmap, and
/// where `wanted` (the page's own texts) and `everywhere` (every page's texts) are.
/// Returns the boxes to paint, or why the page's image must be withheld.
pub fn locate(
    page: &hayro::hayro_syntax::page::Page<'_>,
    transform: Affine,
    size: (u16, u16),
    wanted: &[CoverText],
    everywhere: &[CoverText],
) -> Result<Vec<(Rect, String)>, &'static str> {
    let cache = hayro::hayro_interpret::InterpreterCache::new();
    let mut context = hayro::hayro_interpret::Context::new(
        transform,
        Rect::new(0.0, 0.0, f64::from(size.0), f64::from(size.1)),
        &cache,
        page.xref(),
        hayro::hayro_interpret::InterpreterSettings::default(),
    );
    let mut device = Glyphs::default();
    hayro::hayro_interpret::interpret_page(page, &mut context, &mut device);
    if !device
        .glyphs
        .iter()
        .any(|g| g.visible && g.bounds.is_some())
    {
        return Err(NO_TEXT_LAYER);
    }
    let chars = page_chars(&device.glyphs);
    let mut boxes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for target in wanted.iter().chain(everywhere) {
        if !seen.insert(target) {
            continue;
        }
        let found = occurrences(&chars, &target.text);
        let own = wanted.contains(target);
        if own && found.is_empty() {
            return Err(NOT_LOCATED);
        }
        for (first, last) in found {
            match boxes_over(&device.glyphs, first, last) {
                Some(rects) => boxes.extend(rects.into_iter().map(|r| (r, target.reason.clone()))),
                None => return Err(NOT_LOCATED),
            }
        }
    }
    Ok(boxes)
}

/// Paints `boxes` opaque into an RGBA pixmap of `width` pixels a row; returns them as
/// clipped to the image.
pub fn paint(rgba: &mut [u8], width: u16, height: u16, boxes: &[(Rect, String)]) -> Vec<CoverBox> {
    let mut painted = Vec::new();
    let (w, h) = (f64::from(width), f64::from(height));
    for (rect, reason) in boxes {
        let x0 = rect.x0.floor().clamp(0.0, w) as usize;
        let x1 = rect.x1.ceil().clamp(0.0, w) as usize;
        let y0 = rect.y0.floor().clamp(0.0, h) as usize;
        let y1 = rect.y1.ceil().clamp(0.0, h) as usize;
        if x0 >= x1 || y0 >= y1 {
            continue;
        }
        for y in y0..y1 {
            let row = y * usize::from(width) * 4;
            for x in x0..x1 {
                if let Some(pixel) = rgba.get_mut(row + x * 4..row + x * 4 + 4) {
                    pixel.copy_from_slice(&BOX_RGBA);
                }
            }
        }
        painted.push(CoverBox {
            reason: reason.clone(),
            x: x0 as u32,
            y: y0 as u32,
            width: (x1 - x0) as u32,
            height: (y1 - y0) as u32,
        });
    }
    painted
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyph(text: &str, x: f64, y: f64) -> Located {
        Located {
            text: text.into(),
            bounds: Some(Rect::new(x, y - 8.0, x + 6.0, y)),
            origin: Point::new(x, y),
            direction: Vec2::new(1.0, 0.0),
            em: 10.0,
            visible: true,
        }
    }

    fn line(text: &str, x: f64, y: f64) -> Vec<Located> {
        text.chars()
            .enumerate()
            .map(|(i, c)| glyph(&c.to_string(), x + 7.0 * i as f64, y))
            .collect()
    }

    #[test]
    fn names_are_found_as_whole_words_in_any_case_across_gaps() {
        let mut glyphs = line("By Ada", 0.0, 20.0);
        // A gap of two ems, no space glyph: a new word.
        glyphs.extend(line("LOVELACE", 70.0, 20.0));
        glyphs.extend(line("adamant", 0.0, 40.0));
        let chars = page_chars(&glyphs);
        assert_eq!(occurrences(&chars, "ada").len(), 1);
        assert_eq!(occurrences(&chars, "Ada Lovelace").len(), 1);
        assert_eq!(occurrences(&chars, "lovelace"), [(6, 13)]);
        assert!(occurrences(&chars, "damant").is_empty());
    }

    #[test]
    fn a_name_broken_over_two_lines_gets_a_box_on_each() {
        let mut glyphs = line("Ada", 0.0, 20.0);
        glyphs.extend(line("Lovelace", 0.0, 40.0));
        let boxes = boxes_over(&glyphs, 0, glyphs.len() - 1).unwrap();
        assert_eq!(boxes.len(), 2);
        assert!(boxes[0].y1 < boxes[1].y1);
    }

    #[test]
    fn boxes_are_painted_opaque_and_clipped_to_the_image() {
        let mut rgba = vec![255u8; 4 * 4 * 4];
        let painted = paint(
            &mut rgba,
            4,
            4,
            &[(Rect::new(2.5, -3.0, 9.0, 1.2), "name".into())],
        );
        assert_eq!(painted[0].x, 2);
        assert_eq!((painted[0].width, painted[0].height), (2, 2));
        assert_eq!(&rgba[8..12], &BOX_RGBA);
        assert_eq!(&rgba[0..4], &[255; 4]);
    }
}
