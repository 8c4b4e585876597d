//! How database errors become answers: a missing row 404, a busy or unreachable database
//! 503 `service_busy`, anything else 500.

use sea_orm::{DbErr, RuntimeErr, SqlErr};

use super::{ApiError, ErrorCode};

/// True when a database error is a unique-constraint violation.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// True when a database error is a foreign-key violation.
pub fn is_foreign_key_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(SqlErr::ForeignKeyConstraintViolation(_))
    )
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        if matches!(err, DbErr::RecordNotUpdated | DbErr::RecordNotFound(_)) {
            // An update found no row: it was deleted meanwhile, so it is gone for the caller.
            return Self::not_found("record");
        }
        let busy = match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                is_transient(e)
            }
            _ => false,
        };
        if busy {
            tracing::warn!(error = %err, "database busy or unreachable");
            return Self::unavailable(ErrorCode::ServiceBusy, "服务繁忙，请稍后再试")
                .with_retry_after(1);
        }
        Self::internal(err)
    }
}

/// Serialization failures, deadlocks, SQLite busy and dropped connections are worth a retry.
fn is_transient(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match err {
        Error::Database(db) => matches!(
            db.code().as_deref(),
            Some("40001" | "40P01" | "5" | "6" | "517" | "261" | "262")
        ),
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;

    use super::*;

    #[test]
    fn an_update_racing_a_delete_answers_404_not_500() {
        let err = ApiError::from(DbErr::RecordNotUpdated);
        assert_eq!(
            (err.status(), err.code()),
            (StatusCode::NOT_FOUND, ErrorCode::NotFound)
        );
        let err = ApiError::from(DbErr::RecordNotFound("goods".into()));
        assert_eq!(err.status(), StatusCode::NOT_FOUND);
    }
}
