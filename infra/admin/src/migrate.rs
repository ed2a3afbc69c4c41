//! `opsflow-admin migrate`: the data migrations every module registers,
//! run on one table in the order registered (`opsflow_platform::store::
//! migrate` says how one runs: resumable, idempotent, dry-runnable).
//!
//! Invariant: a migration starts only once the ones before it are done (a
//! later one may rely on an earlier one's format); a dry run runs them all,
//! writing nothing.

use anyhow::bail;
use opsflow_platform::store::migrate::{self, Migration, Progress, RunOptions, Status};
use opsflow_platform::store::Store;

/// The migrations run (or, with `--list`, looked at), with where each
/// stands afterwards.
pub type Report = Vec<(Migration, Progress)>;

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

/// Runs `migrations` in order; stops after one that is not done (it was
/// given `max_pages`), unless this is a dry run.
pub async fn run(
    store: &Store,
    migrations: &[Migration],
    options: RunOptions,
) -> anyhow::Result<Report> {
    let mut report = Vec::new();
    for migration in migrations {
        let progress = migrate::run(store, migration, options).await?;
        let unfinished = progress.status != Status::Done;
        report.push((*migration, progress));
        if unfinished && !options.dry_run {
            break;
        }
    }
    Ok(report)
}

/// Where each of `migrations` stands on this table.
pub async fn list(store: &Store, migrations: &[Migration]) -> anyhow::Result<Report> {
    let mut report = Vec::new();
    for migration in migrations {
        report.push((*migration, migrate::progress(store, migration.id).await?));
    }
    Ok(report)
}

/// One line per migration.
pub fn describe(report: &Report, dry_run: bool) -> String {
    let mut text = String::new();
    for (migration, progress) in report {
        let counts = format!(
            "{} scanned, {} changed, {} unchanged, {} changed meanwhile",
            progress.scanned, progress.changed, progress.unchanged, progress.changed_meanwhile
        );
        let line = if dry_run {
            format!(
                "{}: would change {} of {} items (dry run: nothing written)",
                migration.id, progress.changed, progress.scanned
            )
        } else {
            let status = match progress.status {
                Status::Pending => "pending",
                Status::Running => "stopped (run again to go on)",
                Status::Done => "done",
            };
            format!(
                "{}: {status}; {counts}\n  {}",
                migration.id, migration.summary
            )
        };
        text.push_str(&line);
        text.push('\n');
    }
    if report.is_empty() {
        text.push_str("no migrations\n");
    }
    text
}
