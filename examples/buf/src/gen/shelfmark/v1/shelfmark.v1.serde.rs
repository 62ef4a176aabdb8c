// @generated
impl serde::Serialize for Shelfmark {
    #[allow(deprecated)]
    fn serialize<S>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error>
    where
        S: serde::Serializer,
    {
        use serde::ser::SerializeStruct;
        let mut len = 0;
        if !self.book.is_empty() {
            len += 1;
        }
        if self.page != 0 {
            len += 1;
        }
        let mut struct_ser = serializer.serialize_struct("shelfmark.v1.Shelfmark", len)?;
        if !self.book.is_empty() {
            struct_ser.serialize_field("book", &self.book)?;
        }
        if self.page != 0 {
            struct_ser.serialize_field("page", &self.page)?;
        }
        struct_ser.end()
    }
}
impl<'de> serde::Deserialize<'de> for Shelfmark {
    #[allow(deprecated)]
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        const FIELDS: &[&str] = &[
            "book",
            "page",
        ];

        #[allow(clippy::enum_variant_names)]
        enum GeneratedField {
            Book,
            Page,
            __SkipField__,
        }
        impl<'de> serde::Deserialize<'de> for GeneratedField {
            fn deserialize<D>(deserializer: D) -> std::result::Result<GeneratedField, D::Error>
            where
                D: serde::Deserializer<'de>,
            {
                struct GeneratedVisitor;

                impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
                    type Value = GeneratedField;

                    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        write!(formatter, "expected one of: {:?}", &FIELDS)
                    }

                    #[allow(unused_variables)]
                    fn visit_str<E>(self, value: &str) -> std::result::Result<GeneratedField, E>
                    where
                        E: serde::de::Error,
                    {
                        match value {
                            "book" => Ok(GeneratedField::Book),
                            "page" => Ok(GeneratedField::Page),
                            _ => Ok(GeneratedField::__SkipField__),
                        }
                    }
                }
                deserializer.deserialize_identifier(GeneratedVisitor)
            }
        }
        struct GeneratedVisitor;
        impl<'de> serde::de::Visitor<'de> for GeneratedVisitor {
            type Value = Shelfmark;

            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("struct shelfmark.v1.Shelfmark")
            }

            fn visit_map<V>(self, mut map_: V) -> std::result::Result<Shelfmark, V::Error>
                where
                    V: serde::de::MapAccess<'de>,
            {
                let mut book__ = None;
                let mut page__ = None;
                while let Some(k) = map_.next_key()? {
                    match k {
                        GeneratedField::Book => {
                            if book__.is_some() {
                                return Err(serde::de::Error::duplicate_field("book"));
                            }
                            book__ = Some(map_.next_value()?);
                        }
                        GeneratedField::Page => {
                            if page__.is_some() {
                                return Err(serde::de::Error::duplicate_field("page"));
                            }
                            page__ = 
                                Some(map_.next_value::<::pbjson::private::NumberDeserialize<_>>()?.0)
                            ;
                        }
                        GeneratedField::__SkipField__ => {
                            let _ = map_.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Shelfmark {
                    book: book__.unwrap_or_default(),
                    page: page__.unwrap_or_default(),
                })
            }
        }
        deserializer.deserialize_struct("shelfmark.v1.Shelfmark", FIELDS, GeneratedVisitor)
    }
}
