//! A PATCH's read-then-write on the store: read the credential, let the service decide,
//! write what it decided, optimistically first and under the row lock after a lost race.

use sqlx::Connection as _;
use sqlx::Sqlite;

use super::credentials::{
    BY_EXT_ID_FOR_UPDATE, BY_TYPE_FOR_UPDATE, CredentialKey, CredentialWrite, Step,
    fetch_credential,
};
use super::postgres::PgStore;
use super::sqlite;
use super::write_batch::{self, RowWrite};
use super::{Lease, Store, StoreError, in_lease, pause_before_retry};
use crate::domain::credential::Credential;

/// A read-then-write use case's hold on the store (a PATCH: read the credential, decide,
/// write it). On SQLite one pooled connection for all of it: one checkout per PATCH
/// instead of one per statement. Hold it only across statements and pure code; drop it
/// before anything else that needs the pool, or a full pool waits on itself.
pub struct Held(HeldConnection);

enum HeldConnection {
    /// PostgreSQL reads and writes go through the store's batches, on connections of
    /// their own (a request holds none while it waits, so a full pool cannot wait on
    /// itself); a connection is taken only for each try of a locked read-then-write
    /// ([`Held::update_locked`]).
    Postgres(PgStore),
    Sqlite(Lease<Sqlite>),
}

impl Held {
    pub async fn find_credential(
        &mut self,
        key: CredentialKey<'_>,
    ) -> Result<Option<Credential>, StoreError> {
        let row = match &mut self.0 {
            HeldConnection::Postgres(store) => store.read(key).await?,
            HeldConnection::Sqlite(lease) => in_lease!(lease, conn => fetch_credential!(conn, key)),
        };
        row.map(Credential::try_from).transpose()
    }

    /// Writes `write` atomically. `false`: someone else changed or deleted the credential
    /// since it was read.
    pub async fn update_credential(&mut self, write: &CredentialWrite) -> Result<bool, StoreError> {
        match &mut self.0 {
            HeldConnection::Postgres(store) => store.write(RowWrite::new(write)).await,
            HeldConnection::Sqlite(lease) => {
                let mut tries = 0;
                loop {
                    tries += 1;
                    // `?` inside, so that only a write that went through marks the
                    // connection clean.
                    let result = async {
                        Ok(in_lease!(lease, conn => sqlite::update_credential(conn, write).await?))
                    }
                    .await;
                    match result {
                        Err(error) => pause_before_retry(error, tries).await?,
                        done => return done,
                    }
                }
            }
        }
    }

    /// Reads the credential with its row locked, lets `decide` choose, and writes what it
    /// chose before the lock goes: a read-then-write that no concurrent writer can
    /// overtake. Answers the step taken; [`Step::Write`] was written.
    ///
    /// For a change that lost an optimistic race: retried the optimistic way, it can lose
    /// again and again to writers that read after it but write before it (a credential
    /// under steady load starved one PATCH for 16 rounds). This costs a transaction (four
    /// round trips on PostgreSQL, outside the write batches) and holds off the row's other
    /// writers meanwhile, so it is the fallback, not the rule. `decide` runs again when the
    /// database breaks a deadlock by failing the transaction.
    pub async fn update_locked<T, E>(
        &mut self,
        key: CredentialKey<'_>,
        mut decide: impl FnMut(Option<Credential>) -> Result<Step<T>, E>,
    ) -> Result<Step<T>, E>
    where
        E: From<StoreError>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.try_update_locked(key, &mut decide).await {
                Ok(decided) => return decided,
                Err(error) => pause_before_retry(error, tries).await?,
            }
        }
    }

    /// One try of [`Held::update_locked`]: `Err` for the database's errors, `Ok(Err)` for
    /// `decide`'s (the transaction is rolled back).
    async fn try_update_locked<T, E>(
        &mut self,
        key: CredentialKey<'_>,
        decide: &mut impl FnMut(Option<Credential>) -> Result<Step<T>, E>,
    ) -> Result<Result<Step<T>, E>, StoreError> {
        match &mut self.0 {
            HeldConnection::Postgres(store) => {
                let mut lease = store.acquire().await?;
                Ok(in_lease!(lease, conn => {
                    let mut tx = conn.begin().await?;
                    let row = fetch_credential!(&mut *tx, key, BY_TYPE_FOR_UPDATE, BY_EXT_ID_FOR_UPDATE);
                    let decided = decide(row.map(Credential::try_from).transpose()?);
                    if let Ok(Step::Write(write)) = &decided {
                        if !write_batch::write_one(&mut tx, &RowWrite::new(write)).await? {
                            return Err(locked_write_missed(write));
                        }
                        tx.commit().await?;
                    } else {
                        tx.rollback().await?;
                    }
                    decided
                }))
            }
            HeldConnection::Sqlite(lease) => Ok(in_lease!(lease, conn => {
                let _writer = sqlite::PATCH_WRITER.lock().await;
                // The write lock first, so that nobody writes between the read and the write.
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                let row = fetch_credential!(&mut *tx, key);
                let decided = decide(row.map(Credential::try_from).transpose()?);
                if let Ok(Step::Write(write)) = &decided {
                    if !sqlite::write_credential(&mut tx, write).await? {
                        return Err(locked_write_missed(write));
                    }
                    tx.commit().await?;
                } else {
                    tx.rollback().await?;
                }
                decided
            })),
        }
    }
}

/// A write under the row lock found the row changed: the lock did not hold.
fn locked_write_missed(write: &CredentialWrite) -> StoreError {
    StoreError::Other(format!(
        "credential {} changed under its row lock",
        write.new.id
    ))
}

impl Store {
    /// Starts a read-then-write use case (see [`Held`]).
    pub async fn hold(&self) -> Result<Held, StoreError> {
        Ok(Held(match self {
            Store::Postgres(store) => HeldConnection::Postgres(store.clone()),
            Store::Sqlite(pool) => HeldConnection::Sqlite(pool.acquire().await?),
        }))
    }
}
