//! `opsflow-admin migrate`: the data migrations every module registers,
//! run on one table in the order registered (`opsflow_platform::store::
//! migrate` says how one runs: resumable, idempotent, dry-runnable).
//!
//! Invariant: a migration starts only once the ones registered before it
//! are done (a later one may rely on an earlier one's format), `--only`
//! included; a dry run looks at them all, writing nothing. Each
//! migration's line is printed as it ends, so an error later loses none.

use anyhow::bail;
use opsflow_platform::store::migrate::{self, Migration, Progress, RunOptions, Status};
use opsflow_platform::store::Store;

/// The migrations `only` names (all of them without it); an unknown id is
/// an error that lists the known ones.
pub fn select(migrations: &[Migration], only: Option<&str>) -> anyhow::Result<Vec<Migration>> {
    let Some(id) = only else {
        return Ok(migrations.to_vec());
    };
    match migrations.iter().find(|m| m.id == id) {
        Some(found) => Ok(vec![*found]),
        None => {
            let known: Vec<&str> = migrations.iter().map(|m| m.id).collect();
            bail!("no migration {id:?}; there are: {}", known.join(", "))
        }
    }
}

/// Refuses to run `selected` while a migration registered before it is
/// not done on this table (it may rely on the earlier one's format).
pub async fn check_order(
    store: &Store,
    registered: &[Migration],
    selected: &[Migration],
) -> anyhow::Result<()> {
    let Some(first) = selected.first() else {
        return Ok(());
    };
    for earlier in registered.iter().take_while(|m| m.id != first.id) {
        if migrate::progress(store, earlier.id).await?.status != Status::Done {
            bail!(
                "{} must be done before {}: run it first",
                earlier.id,
                first.id
            );
        }
    }
    Ok(())
}

/// Runs `migrations` in order, handing each one's progress to `done` as it
/// ends; stops after one that is not done (it was given `max_pages`),
/// unless this is a dry run.
pub async fn run(
    store: &Store,
    migrations: &[Migration],
    options: RunOptions,
    mut done: impl FnMut(&Migration, &Progress),
) -> anyhow::Result<()> {
    for migration in migrations {
        let progress = migrate::run(store, migration, options).await?;
        done(migration, &progress);
        if progress.status != Status::Done && !options.dry_run {
            break;
        }
    }
    Ok(())
}

/// Where each of `migrations` stands on this table.
pub async fn list(store: &Store, migrations: &[Migration]) -> anyhow::Result<Vec<Progress>> {
    let mut listed = Vec::new();
    for migration in migrations {
        listed.push(migrate::progress(store, migration.id).await?);
    }
    Ok(listed)
}

/// One migration's line.
pub fn describe(migration: &Migration, progress: &Progress, dry_run: bool) -> String {
    let counts = format!(
        "{} scanned, {} changed, {} unchanged, {} changed meanwhile",
        progress.scanned, progress.changed, progress.unchanged, progress.changed_meanwhile
    );
    match (dry_run, progress.status) {
        (true, Status::Done) => format!("{}: done; nothing to change", migration.id),
        (true, Status::Running) => format!(
            "{}: would change {} of the first {} items (dry run: nothing written; stopped by --max-pages)",
            migration.id, progress.changed, progress.scanned
        ),
        (true, Status::Pending) => format!(
            "{}: would change {} of {} items (dry run: nothing written)",
            migration.id, progress.changed, progress.scanned
        ),
        (false, status) => {
            let status = match status {
                Status::Pending => "pending",
                Status::Running => "stopped (run again to go on)",
                Status::Done => "done",
            };
            format!("{}: {status}; {counts}\n  {}", migration.id, migration.summary)
        }
    }
}
