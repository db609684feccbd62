//! The documented vocabularies: ABCD asset types, activity themes (categories) and access
//! features. Each term has a stable snake_case slug (used on the wire and in storage) and a
//! label for people.

use crate::FieldError;

/// Declares a closed vocabulary: an enum whose variants serialise as their slug, with a label
/// and a parser whose error lists the accepted slugs.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => ($slug:literal, $label:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every term, in documentation order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The stable identifier used on the wire and in storage.
            pub fn slug(self) -> &'static str {
                match self { $( $name::$variant => $slug, )+ }
            }

            /// The name shown to people.
            pub fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }

            /// Parses a slug (case-insensitive; spaces and hyphens read as underscores).
            pub fn parse(input: &str) -> Result<Self, FieldError> {
                let wanted = input.trim().to_ascii_lowercase().replace([' ', '-'], "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|t| t.slug() == wanted)
                    .ok_or_else(|| {
                        let known: Vec<&str> = Self::ALL.iter().map(|t| t.slug()).collect();
                        FieldError::new(
                            "",
                            format!("unknown {} {:?}; use one of: {}", $what, input, known.join(", ")),
                        )
                    })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.slug())
            }
        }

        impl std::str::FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, FieldError> {
                Self::parse(s)
            }
        }
    };
}

vocabulary! {
    /// The five kinds of asset in Asset-Based Community Development (McKnight & Kretzmann).
    AbcdType, "ABCD asset type" {
        /// Groups of people: clubs, societies, charities, faith groups, networks.
        Association => ("association", "Association"),
        /// Organisations with paid staff: libraries, schools, GP practices, the council.
        Institution => ("institution", "Institution"),
        /// Places: parks, allotments, halls, pitches, green space.
        PhysicalSpace => ("physical_space", "Physical space"),
        /// Local economy: shops, post offices, social enterprises, micro-enterprises.
        Economy => ("economy", "Economy"),
        /// Culture, heritage and the stories and skills of a place.
        Culture => ("culture", "Culture"),
    }
}

vocabulary! {
    /// Activity themes: what an asset offers, in words a coordinator and a resident share.
    Category, "category" {
        ArtsHeritage => ("arts_heritage", "Arts & heritage"),
        Befriending => ("befriending", "Befriending & social groups"),
        GreenSpaceNature => ("green_space_nature", "Green space & nature"),
        PhysicalActivitySport => ("physical_activity_sport", "Physical activity & sport"),
        AdviceMoney => ("advice_money", "Advice & money"),
        Food => ("food", "Food"),
        MentalWellbeing => ("mental_wellbeing", "Mental wellbeing"),
        Carers => ("carers", "Carers"),
        Learning => ("learning", "Learning & libraries"),
        Faith => ("faith", "Faith & belief"),
        HealthServices => ("health_services", "Health services"),
        VolunteeringWork => ("volunteering_work", "Volunteering & work"),
        ChildrenFamilies => ("children_families", "Children & families"),
        CareSupport => ("care_support", "Care & support"),
        CommunityGroups => ("community_groups", "Community groups & charities"),
        PublicServices => ("public_services", "Public & emergency services"),
    }
}

impl Category {
    /// Everyday words that mean this theme, used by text search to widen a query
    /// ("allotment" finds green space & nature). Lower case, unstemmed.
    pub fn keywords(self) -> &'static [&'static str] {
        match self {
            Category::ArtsHeritage => &[
                "arts", "art", "craft", "heritage", "history", "museum", "music", "theatre",
                "culture", "painting",
            ],
            Category::Befriending => &[
                "befriending",
                "friendship",
                "social",
                "lonely",
                "loneliness",
                "company",
                "coffee",
                "lunch club",
                "meet",
            ],
            Category::GreenSpaceNature => &[
                "park",
                "garden",
                "gardening",
                "allotment",
                "nature",
                "green",
                "woodland",
                "outdoor",
                "growing",
                "wildlife",
            ],
            Category::PhysicalActivitySport => &[
                "sport", "exercise", "fitness", "walking", "swimming", "football", "gym", "dance",
                "running", "tennis", "bowls",
            ],
            Category::AdviceMoney => &[
                "advice",
                "money",
                "debt",
                "benefits",
                "welfare",
                "housing",
                "legal",
                "bank",
                "post office",
            ],
            Category::Food => &[
                "food",
                "meal",
                "lunch",
                "cooking",
                "food bank",
                "pantry",
                "breakfast",
            ],
            Category::MentalWellbeing => &[
                "mental health",
                "wellbeing",
                "anxiety",
                "depression",
                "counselling",
                "talking",
                "support group",
            ],
            Category::Carers => &["carer", "carers", "caring", "respite"],
            Category::Learning => &[
                "learning",
                "library",
                "books",
                "reading",
                "course",
                "class",
                "school",
                "college",
                "education",
                "computer",
            ],
            Category::Faith => &[
                "faith",
                "church",
                "mosque",
                "synagogue",
                "temple",
                "gurdwara",
                "worship",
                "prayer",
                "spiritual",
            ],
            Category::HealthServices => &[
                "health",
                "gp",
                "doctor",
                "pharmacy",
                "chemist",
                "dentist",
                "hospital",
                "defibrillator",
                "nhs",
            ],
            Category::VolunteeringWork => &[
                "volunteer",
                "volunteering",
                "job",
                "work",
                "employment",
                "skills",
                "training",
            ],
            Category::ChildrenFamilies => &[
                "children",
                "family",
                "families",
                "parents",
                "baby",
                "toddler",
                "dads",
                "mums",
                "youth",
                "young people",
            ],
            Category::CareSupport => &["care home", "care", "support", "nursing", "home care"],
            Category::CommunityGroups => &[
                "charity",
                "community",
                "group",
                "club",
                "society",
                "association",
            ],
            Category::PublicServices => &[
                "fire station",
                "police",
                "council",
                "jobcentre",
                "public service",
            ],
        }
    }
}

vocabulary! {
    /// Physical and sensory access features an asset offers.
    AccessFeature, "access feature" {
        /// Entrance and main areas reachable without steps (ramp or lift).
        StepFree => ("step_free", "Step-free access"),
        AccessibleToilet => ("accessible_toilet", "Accessible toilet"),
        ChangingPlaces => ("changing_places", "Changing Places toilet"),
        HearingLoop => ("hearing_loop", "Hearing loop"),
        Parking => ("parking", "Parking"),
        AccessibleParking => ("accessible_parking", "Blue Badge parking"),
        DementiaFriendly => ("dementia_friendly", "Dementia friendly"),
        AutismFriendly => ("autism_friendly", "Autism friendly"),
        QuietSpace => ("quiet_space", "Quiet space"),
        Bsl => ("bsl", "British Sign Language"),
        PublicTransport => ("public_transport", "Near public transport"),
    }
}

vocabulary! {
    /// Whether an asset can be used now.
    Status, "status" {
        Active => ("active", "Active"),
        TemporarilyClosed => ("temporarily_closed", "Temporarily closed"),
        Closed => ("closed", "Closed"),
    }
}

impl Status {
    /// The statuses a listing shows unless it is asked for others: closed assets are hidden,
    /// temporarily closed ones are kept (people should know they exist and will be back). The
    /// asset list, the map layer, the per-area counts and the downloads all use this.
    ///
    /// ```
    /// use assetmap_core::Status;
    /// assert_eq!(Status::SHOWN_BY_DEFAULT, [Status::Active, Status::TemporarilyClosed]);
    /// assert!(!Status::SHOWN_BY_DEFAULT.contains(&Status::Closed));
    /// ```
    pub const SHOWN_BY_DEFAULT: [Status; 2] = [Status::Active, Status::TemporarilyClosed];
}

vocabulary! {
    /// What using an asset costs a person.
    CostBand, "cost band" {
        /// No charge.
        Free => ("free", "Free"),
        /// A small charge or donation (a few pounds), or concessions.
        Low => ("low", "Low cost"),
        /// A full charge.
        Paid => ("paid", "Paid"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_are_unique() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.slug()).unwrap(), *c);
            assert!(!c.keywords().is_empty());
        }
        let mut slugs: Vec<_> = Category::ALL.iter().map(|c| c.slug()).collect();
        slugs.dedup();
        assert_eq!(slugs.len(), Category::ALL.len());
    }

    #[test]
    fn parse_is_forgiving_on_case_and_separators_but_lists_terms_on_error() {
        assert_eq!(
            AbcdType::parse("Physical Space").unwrap(),
            AbcdType::PhysicalSpace
        );
        assert_eq!(
            AccessFeature::parse("step-free").unwrap(),
            AccessFeature::StepFree
        );
        let err = Category::parse("knitting").unwrap_err();
        assert!(err.problem.contains("knitting"));
        assert!(err.problem.contains("green_space_nature"));
    }

    #[test]
    fn serde_uses_slugs() {
        let json = serde_json::to_string(&Category::GreenSpaceNature).unwrap();
        assert_eq!(json, "\"green_space_nature\"");
    }
}
