//! `check_service_area`: is a ZIP code inside the area the business serves? The area is a list of
//! ZIP codes, a radius around a ZIP code, or both (either one is enough). Distances come from the
//! ZIP centroids embedded by the `zipcodes` crate, great-circle, in miles.

use domain::catalog::ServiceArea;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaCheck {
    /// `None` when it cannot be told: no area configured, or no usable ZIP code.
    pub inside: Option<bool>,
    /// How it was decided: `zip_list`, `radius`, `not_configured`, `no_zip`, `unknown_zip`.
    pub by: &'static str,
    /// From the radius centre, when a radius is configured and both ZIP codes are known.
    pub distance_miles: Option<f64>,
}

const EARTH_RADIUS_MILES: f64 = 3958.8;

fn centroid(zip: &str) -> Option<(f64, f64)> {
    let found = zipcodes::matching(zip, None).ok()?;
    let z = found.first()?;
    Some((z.lat.parse().ok()?, z.long.parse().ok()?))
}

fn haversine_miles((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_MILES * a.sqrt().asin()
}

pub fn check_service_area(area: &ServiceArea, zip: Option<&str>) -> AreaCheck {
    let radius = area.center_zip.as_deref().zip(area.radius_miles);
    if area.zip_codes.is_empty() && radius.is_none() {
        return AreaCheck { inside: None, by: "not_configured", distance_miles: None };
    }
    let Some(zip) = zip.map(|z| z.trim().get(..5).unwrap_or(z.trim())) else {
        return AreaCheck { inside: None, by: "no_zip", distance_miles: None };
    };
    if area.zip_codes.iter().any(|z| z == zip) {
        return AreaCheck { inside: Some(true), by: "zip_list", distance_miles: None };
    }
    let Some((center, miles)) = radius else {
        return AreaCheck { inside: Some(false), by: "zip_list", distance_miles: None };
    };
    match (centroid(center), centroid(zip)) {
        (Some(c), Some(z)) => {
            let distance = (haversine_miles(c, z) * 10.0).round() / 10.0;
            AreaCheck { inside: Some(distance <= f64::from(miles)), by: "radius", distance_miles: Some(distance) }
        }
        // A ZIP code the data does not know cannot be placed: a person decides, nobody is refused.
        _ if area.zip_codes.is_empty() => AreaCheck { inside: None, by: "unknown_zip", distance_miles: None },
        _ => AreaCheck { inside: Some(false), by: "zip_list", distance_miles: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn radius(center: &str, miles: u32) -> ServiceArea {
        ServiceArea { zip_codes: vec![], center_zip: Some(center.into()), radius_miles: Some(miles) }
    }

    #[test]
    fn the_list_decides_when_there_is_no_radius() {
        let area = ServiceArea { zip_codes: vec!["62704".into()], ..ServiceArea::default() };
        assert_eq!(check_service_area(&area, Some("62704")).inside, Some(true));
        assert_eq!(check_service_area(&area, Some("62704-1234")).inside, Some(true));
        assert_eq!(check_service_area(&area, Some("10001")).inside, Some(false));
        assert_eq!(check_service_area(&area, None).by, "no_zip");
        assert_eq!(check_service_area(&ServiceArea::default(), Some("10001")).by, "not_configured");
    }

    #[test]
    fn a_radius_measures_between_zip_centroids() {
        // Springfield, IL (62704) to Chatham, IL (62629) is about 9 miles; to Chicago about 180.
        let area = radius("62704", 25);
        let near = check_service_area(&area, Some("62629"));
        assert_eq!((near.inside, near.by), (Some(true), "radius"));
        assert!(near.distance_miles.unwrap() < 25.0, "{near:?}");
        let far = check_service_area(&area, Some("60601"));
        assert_eq!(far.inside, Some(false));
        assert!(far.distance_miles.unwrap() > 150.0, "{far:?}");
    }

    #[test]
    fn an_unknown_zip_is_not_refused_by_a_radius() {
        assert_eq!(check_service_area(&radius("62704", 25), Some("00000")).inside, None);
    }

    #[test]
    fn great_circle_distance_is_right() {
        // New York (40.7128, -74.0060) to Los Angeles (34.0522, -118.2437): about 2,445 miles.
        let d = haversine_miles((40.7128, -74.0060), (34.0522, -118.2437));
        assert!((2440.0..2450.0).contains(&d), "{d}");
    }
}
