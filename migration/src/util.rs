//! Small builders shared by the migrations.

use sea_orm_migration::{prelude::*, schema};

/// A table with a BIGINT auto-increment `id`.
pub fn table(name: &str) -> TableCreateStatement {
    Table::create()
        .table(Alias::new(name))
        .col(
            schema::big_integer(Alias::new("id"))
                .auto_increment()
                .primary_key(),
        )
        .take()
}

/// A foreign key from `table.column` to `target.id`.
pub fn fk(
    table: &str,
    column: &str,
    target: &str,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(Alias::new(table), Alias::new(column))
        .to(Alias::new(target), Alias::new("id"))
        .on_delete(on_delete)
        .take()
}

/// A named (optionally unique) index.
pub fn index(name: &str, table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(Alias::new(table));
    for c in columns {
        stmt.col(Alias::new(*c));
    }
    if unique {
        stmt.unique();
    }
    stmt.take()
}

/// Shorthand for a column name.
pub fn c(name: &str) -> Alias {
    Alias::new(name)
}
