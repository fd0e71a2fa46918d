//! Reading stored rows back. Every column is decoded with `try_get`, and a value that does not
//! decode or parse is a [`StoreError::Corrupt`] naming the table, the row and the column: a row
//! edited by hand must never come back as a default (a filed declaration read as a draft ranks its
//! office as a non-filer).

use serde_json::{Map, Value};
use sqlx::any::{Any, AnyRow};
use sqlx::{Decode, Row, Type};

use super::StoreError;
use crate::domain::{OfficeId, RoundId};

/// One stored row being read, with the key that names it in errors.
pub(crate) struct Cells<'r> {
    row: &'r AnyRow,
    table: &'static str,
    key: String,
}

impl<'r> Cells<'r> {
    /// `key` lists the columns that name the row: `["round", "office_id"]` gives `1400-2/P-0001`.
    pub fn new(row: &'r AnyRow, table: &'static str, key: &[&str]) -> Self {
        let key = key
            .iter()
            .map(|c| {
                row.try_get::<String, _>(*c)
                    .or_else(|_| row.try_get::<i64, _>(*c).map(|n| n.to_string()))
                    .unwrap_or_else(|_| "?".into())
            })
            .collect::<Vec<_>>()
            .join("/");
        Cells { row, table, key }
    }

    /// A column's value.
    pub fn get<T>(&self, column: &str) -> Result<T, StoreError>
    where
        T: Decode<'r, Any> + Type<Any>,
    {
        self.row
            .try_get(column)
            .map_err(|e| self.corrupt(format!("{column} cannot be read ({e})")))
    }

    /// A text column holding a JSON object.
    pub fn json_map(&self, column: &str) -> Result<Map<String, Value>, StoreError> {
        match serde_json::from_str(&self.get::<String>(column)?) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(self.corrupt(format!("{column} is JSON but not an object"))),
            Err(e) => Err(self.corrupt(format!("{column} is not JSON ({e})"))),
        }
    }

    /// A text column holding JSON of a known shape.
    pub fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        serde_json::from_str(&self.get::<String>(column)?)
            .map_err(|e| self.corrupt(format!("{column} is not the expected JSON ({e})")))
    }

    /// A text column parsed by `parse`; `what` names the expected value (`a status`).
    pub fn parse<T>(
        &self,
        column: &str,
        what: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        let text: String = self.get(column)?;
        parse(&text).ok_or_else(|| self.corrupt(format!("{column} `{text}` is not {what}")))
    }

    /// A text column holding a round id.
    pub fn round(&self, column: &str) -> Result<RoundId, StoreError> {
        self.parse(column, "a round", |s| RoundId::parse(s).ok())
    }

    /// A text column holding a license number.
    pub fn office(&self, column: &str) -> Result<OfficeId, StoreError> {
        self.parse(column, "a license number", |s| OfficeId::parse(s).ok())
    }

    /// An integer column that must fit a `u8`.
    pub fn small(&self, column: &str) -> Result<u8, StoreError> {
        let n: i64 = self.get(column)?;
        u8::try_from(n).map_err(|_| self.corrupt(format!("{column} {n} is out of range")))
    }

    /// The error for a problem with this row.
    pub fn corrupt(&self, problem: String) -> StoreError {
        StoreError::Corrupt {
            table: self.table,
            row: self.key.clone(),
            problem,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    async fn one_row(sql: &str) -> (AnyRow, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let row = sqlx::query(sql).fetch_one(&store.pool).await.unwrap();
        (row, dir)
    }

    #[tokio::test]
    async fn stored_round_and_office_ids_are_read_as_domain_ids() {
        let (row, _dir) = one_row("select '1400-2' as round, 'P-THR-000030' as office_id").await;
        let c = Cells::new(&row, "declarations", &["round", "office_id"]);
        assert_eq!(c.round("round").unwrap(), RoundId::parse("1400-2").unwrap());
        assert_eq!(c.office("office_id").unwrap().as_str(), "P-THR-000030");
    }

    #[tokio::test]
    async fn a_stored_id_that_does_not_parse_is_a_corrupt_row_naming_the_column() {
        let (row, _dir) = one_row("select '1400-9' as round, 'P THR/30' as office_id").await;
        let c = Cells::new(&row, "declarations", &["round", "office_id"]);
        let StoreError::Corrupt {
            table,
            row,
            problem,
        } = c.round("round").unwrap_err()
        else {
            panic!("not a corrupt row")
        };
        assert_eq!((table, row.as_str()), ("declarations", "1400-9/P THR/30"));
        assert_eq!(problem, "round `1400-9` is not a round");
        let e = c.office("office_id").unwrap_err();
        assert!(
            e.to_string()
                .ends_with("office_id `P THR/30` is not a license number"),
            "{e}"
        );
    }
}
