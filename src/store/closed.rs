//! Closed sets as the database stores them: a column read back into its enum.

pub(crate) use crate::base::closed::closed_set;

/// Reads a closed-set column of a row, naming the row and the column when the stored value
/// is not one of the set (a database written by something else, or by a newer takehome).
pub(crate) fn column<T>(row: &sqlx::any::AnyRow, what: &str, column: &str) -> anyhow::Result<T>
where
    T: std::str::FromStr<Err = String>,
{
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|e: String| anyhow::anyhow!("{what}: column `{column}`: {e}"))
}
