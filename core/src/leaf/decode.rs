//! Gallery photos: JPEG or PNG, decoded with limits, EXIF orientation honoured.

use std::io::Cursor;

use fast_image_resize::Resizer;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::convert::centre_square;
use super::error::LeafError;
use super::frame::check_size;
use super::resample::resize_packed;
use super::rgb::RgbImage;

fn decode_err(e: impl std::fmt::Display) -> LeafError {
    LeafError::Decode(e.to_string())
}

/// Decodes a photo and returns its centre square as an upright `side`×`side` image.
///
/// The orientation is applied to the small result, not the full photo: every EXIF orientation
/// maps the centred square onto itself, so crop → resize → orient gives the same pixels as
/// orient → crop → resize, without rotating a 12-megapixel buffer.
pub(crate) fn render_photo(
    resizer: &mut Resizer,
    bytes: &[u8],
    roi_fraction: f32,
    side: u32,
) -> Result<RgbImage, LeafError> {
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(decode_err)?;
    match reader.format() {
        Some(ImageFormat::Jpeg) => check_jpeg_end(bytes)?,
        Some(ImageFormat::Png) => {}
        _ => return Err(LeafError::UnsupportedFormat),
    }
    let mut reader = reader;
    let mut limits = Limits::default();
    // An 8192² RGBA16 photo is 512 MiB; a phone must not try. 8192² RGB8 (192 MiB) fits.
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(decode_err)?;
    // Checked before any pixel is decoded, so a hostile header costs nothing.
    let (width, height) = decoder.dimensions();
    check_size(width, height)?;

    // A broken EXIF block should not cost the farmer the photo: read it as "upright".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let rgb = DynamicImage::from_decoder(decoder)
        .map_err(decode_err)?
        .into_rgb8();
    let rect = centre_square(width, height, roi_fraction);
    let small = resize_packed(
        resizer,
        rgb.as_raw(),
        (width, height),
        3,
        rect,
        (side, side),
    )?;
    let small = image::RgbImage::from_raw(side, side, small)
        .ok_or_else(|| LeafError::Resize("resized buffer has the wrong size".into()))?;
    let mut oriented = DynamicImage::ImageRgb8(small);
    oriented.apply_orientation(orientation);
    let oriented = oriented.into_rgb8();
    let (w, h) = oriented.dimensions();
    RgbImage::from_raw(w, h, oriented.into_raw())
}

/// The JPEG decoder fills a cut-off picture with grey and reports success; a farmer would get
/// an answer about half a photo. A whole JPEG has an end-of-image marker after its last
/// start-of-scan (entropy-coded data cannot hold either: 0xFF is stuffed there). Searching
/// from the last scan, not the file's end, keeps photos with trailers (vendor data after EOI).
fn check_jpeg_end(bytes: &[u8]) -> Result<(), LeafError> {
    let last_scan = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let ended = last_scan.is_some_and(|at| bytes[at..].windows(2).any(|w| w == [0xFF, 0xD9]));
    if ended {
        Ok(())
    } else {
        Err(LeafError::Decode(
            "JPEG is cut off (no end-of-image marker)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::leaf::{Frame, LeafError, Pixels, render};

    /// A 16×8 JPEG, left half red and right half blue, with an EXIF APP1 segment that says
    /// "rotate 90° clockwise to display" (orientation 6), written by hand.
    fn jpeg_with_orientation(orientation: u16) -> Vec<u8> {
        let img = image::RgbImage::from_fn(16, 8, |x, _| {
            if x < 8 {
                image::Rgb([230, 20, 20])
            } else {
                image::Rgb([20, 20, 230])
            }
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
            .encode_image(&img)
            .unwrap();
        // TIFF header (big endian), IFD0 at offset 8 with one entry: 0x0112 SHORT ×1.
        let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
        tiff.extend(orientation.to_be_bytes());
        tiff.extend([0, 0, 0, 0, 0, 0]); // value padding, next IFD = none
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let len = (app1.len() + 2) as u16;
        let mut out = jpeg[..2].to_vec(); // SOI
        out.extend([0xFF, 0xE1]);
        out.extend(len.to_be_bytes());
        out.extend(app1);
        out.extend(&jpeg[2..]);
        out
    }

    fn is_red(p: [u8; 3]) -> bool {
        p[0] > 150 && p[2] < 100
    }

    fn is_blue(p: [u8; 3]) -> bool {
        p[2] > 150 && p[0] < 100
    }

    #[test]
    fn exif_orientation_is_applied() {
        let plain = jpeg_with_orientation(1);
        let img = render(&Frame::new(Pixels::Encoded(&plain)), 1.0, 8).unwrap();
        assert!(is_red(img.pixel(1, 4)) && is_blue(img.pixel(6, 4)));

        let rotated = jpeg_with_orientation(6);
        let img = render(&Frame::new(Pixels::Encoded(&rotated)), 1.0, 8).unwrap();
        // Turned clockwise, the left (red) half is now on top.
        assert!(is_red(img.pixel(4, 1)), "{:?}", img.pixel(4, 1));
        assert!(is_blue(img.pixel(4, 6)), "{:?}", img.pixel(4, 6));

        let mirrored = jpeg_with_orientation(2);
        let img = render(&Frame::new(Pixels::Encoded(&mirrored)), 1.0, 8).unwrap();
        assert!(is_blue(img.pixel(1, 4)) && is_red(img.pixel(6, 4)));
    }

    #[test]
    fn truncated_and_corrupt_photos_are_errors() {
        let jpeg = jpeg_with_orientation(1);
        // The decoder itself fills a cut-off scan with grey; the end-marker check refuses it.
        for cut in [3, 20, jpeg.len() / 2, jpeg.len() - 2] {
            let r = render(&Frame::new(Pixels::Encoded(&jpeg[..cut])), 1.0, 8);
            assert!(
                matches!(r, Err(LeafError::Decode(_))),
                "cut at {cut}: {:?}",
                r.err()
            );
        }
        // Vendor data after the end marker is fine.
        let mut trailer = jpeg.clone();
        trailer.extend(b"SEFH\0\0\x01\x02 vendor trailer");
        assert!(render(&Frame::new(Pixels::Encoded(&trailer)), 1.0, 8).is_ok());
        let mut png_header = b"\x89PNG\r\n\x1a\n".to_vec();
        png_header.extend([0u8; 30]);
        let r = render(&Frame::new(Pixels::Encoded(&png_header)), 1.0, 8);
        assert!(matches!(r, Err(LeafError::Decode(_))));
    }
}
