//! [`Fixed`]: a JSON number written with a set count of decimals, as the
//! reports have always printed their rates and milliseconds (`"p50_ms":6.0`,
//! `"seconds":1.000000`), where serde_json would write the shortest form.

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// `self.0` with `D` decimals; `null` when it is not finite (JSON has no
/// NaN or infinity).
pub(crate) struct Fixed<const D: usize>(pub(crate) f64);

impl<const D: usize> Serialize for Fixed<D> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if !self.0.is_finite() {
            return serializer.serialize_none();
        }
        let number = RawValue::from_string(format!("{:.D$}", self.0)).map_err(serde::ser::Error::custom)?;
        number.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::Fixed;

    #[test]
    fn decimals_are_kept_and_non_finite_is_null() {
        let numbers = (Fixed::<6>(0.5), Fixed::<1>(6.04), Fixed::<1>(-0.0));
        assert_eq!(serde_json::to_string(&numbers).unwrap(), "[0.500000,6.0,-0.0]");
        let not_finite = [Fixed::<1>(f64::NAN), Fixed::<1>(f64::INFINITY)];
        assert_eq!(serde_json::to_string(&not_finite).unwrap(), "[null,null]");
    }
}
