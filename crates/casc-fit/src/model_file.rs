//! The `model.casc` file: magic bytes, format version, payload length and CRC-32, then the
//! [`Model`] encoded with bincode (through serde).
//!
//! Layout (little endian): `b"CASCMODL"`, `u32` format version, `u64` payload length, `u32`
//! CRC-32 (IEEE) of the payload, payload. A file with another magic, a newer version, a short
//! payload or a wrong checksum is refused with a message that says which.

use std::path::Path;

use crate::error::{FitError, ModelFileError};
use crate::model::Model;

/// The first eight bytes of every model file.
pub const MAGIC: &[u8; 8] = b"CASCMODL";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 4;
const HEADER: usize = 8 + 4 + 8 + 4;
/// Largest payload accepted (guards the decoder against absurd lengths).
const MAX_PAYLOAD: u64 = 1 << 32;

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, t) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
        *t = c;
    }
    let mut crc = !0u32;
    for &b in bytes {
        crc = table[((crc ^ b as u32) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// Decodes a model from `payload`, letting the decoder claim (allocate) at most what a model
/// of that many bytes can hold: a length field that a damaged or crafted file inflates is
/// refused before anything is allocated. A decoded value takes at most 8 bytes per encoded
/// byte (a one-byte integer becomes a `usize`); the tiers are powers of two above that.
fn decode_bounded(payload: &[u8]) -> Result<(Model, usize), bincode::error::DecodeError> {
    fn with<const LIMIT: usize>(
        payload: &[u8],
    ) -> Result<(Model, usize), bincode::error::DecodeError> {
        let config = bincode::config::standard().with_limit::<LIMIT>();
        bincode::serde::decode_from_slice(payload, config)
    }
    let need = payload.len().saturating_mul(8).saturating_add(1 << 16);
    match need {
        n if n <= 1 << 20 => with::<{ 1 << 20 }>(payload),
        n if n <= 1 << 24 => with::<{ 1 << 24 }>(payload),
        n if n <= 1 << 28 => with::<{ 1 << 28 }>(payload),
        n if n <= 1 << 32 => with::<{ 1 << 32 }>(payload),
        _ => with::<{ 1 << 35 }>(payload),
    }
}

impl Model {
    /// Encodes the model as the bytes of a `model.casc` file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = bincode::serde::encode_to_vec(self, bincode::config::standard())
            .expect("a model always encodes");
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Decodes a `model.casc` file's bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, ModelFileError> {
        use ModelFileError::{Corrupted, Inconsistent, Truncated};
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err(ModelFileError::NotAModel);
        }
        if bytes.len() < HEADER {
            return Err(Truncated(format!(
                "{} bytes, shorter than the {HEADER}-byte header",
                bytes.len()
            )));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version > FORMAT_VERSION {
            return Err(ModelFileError::Newer {
                version,
                newest: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(Corrupted("invalid format version 0".into()));
        }
        if version < FORMAT_VERSION {
            return Err(ModelFileError::Older { version });
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&bytes[12..20]);
        let len = u64::from_le_bytes(len);
        let crc = u32::from_le_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
        let payload = &bytes[HEADER..];
        if len > MAX_PAYLOAD || (payload.len() as u64) < len {
            return Err(Truncated(format!(
                "the header announces {len} bytes of model, the file has {}",
                payload.len()
            )));
        }
        if (payload.len() as u64) > len {
            return Err(Corrupted(format!(
                "{} unexpected bytes after the model",
                payload.len() as u64 - len
            )));
        }
        if crc32(payload) != crc {
            return Err(Corrupted("the checksum does not match the contents".into()));
        }
        let (model, used) = decode_bounded(payload)
            .map_err(|e| Corrupted(format!("cannot decode the model ({e})")))?;
        if used != payload.len() {
            return Err(Corrupted("the model does not fill its payload".into()));
        }
        model.validate().map_err(Inconsistent)?;
        Ok(model)
    }

    /// Checks the model's internal consistency (sizes, finiteness, state ids of motifs, the
    /// parameters against the states); `Err` says what does not fit.
    pub fn validate(&self) -> Result<(), String> {
        if self.n_sensors == 0 || self.window == 0 || self.states.is_empty() {
            return Err("no sensors, window or states".into());
        }
        let d = self
            .n_sensors
            .checked_mul(self.window)
            .filter(|d| d.checked_mul(*d).is_some())
            .ok_or("the window and the number of sensors are too large")?;
        if self.sensor_names.len() != self.n_sensors {
            return Err("sensor names do not match the number of sensors".into());
        }
        let window_fits = match self.params.window() {
            crate::params::Window::Fixed(w) => w == self.window && self.pool == 1,
            crate::params::Window::Auto => self.window <= crate::window::MAX_LAGS,
        };
        let states_fit = match self.params.states() {
            crate::params::States::Fixed(k) => k == self.states.len(),
            crate::params::States::Auto { min, max } => (min..=max).contains(&self.states.len()),
        };
        if self.pool == 0 || !window_fits || !states_fit {
            return Err("the parameters do not match the states".into());
        }
        if let Some(s) = &self.scales
            && (s.len() != self.n_sensors
                || s.iter()
                    .any(|(m, sd)| !(m.is_finite() && sd.is_finite() && *sd > 0.0)))
        {
            return Err("invalid standardisation".into());
        }
        for (k, s) in self.states.iter().enumerate() {
            if s.mean.len() != d || s.precision.len() != d * d {
                return Err(format!("state {k} has the wrong size"));
            }
            if !s.mean.iter().chain(&s.precision).all(|v| v.is_finite()) {
                return Err(format!("state {k} has a non-finite value"));
            }
        }
        for m in &self.motifs {
            if m.states.iter().any(|&s| s >= self.states.len()) {
                return Err("a motif names a state that does not exist".into());
            }
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err("invalid beta".into());
        }
        Ok(())
    }

    /// Writes the model to `path`.
    pub fn save(&self, path: &Path) -> Result<(), FitError> {
        std::fs::write(path, self.to_bytes()).map_err(|e| FitError::ModelFile {
            path: path.to_path_buf(),
            source: e.into(),
        })
    }

    /// Reads a model from `path`.
    pub fn load(path: &Path) -> Result<Model, FitError> {
        let bytes = std::fs::read(path).map_err(|e| FitError::ModelFile {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        Model::from_bytes(&bytes).map_err(|source| FitError::ModelFile {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_the_standard_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
