//! The change signal: a background task that holds its own connection, `LISTEN`s on
//! [`CHANNEL`], and publishes the newest announced change sequence number.
//!
//! The connection is not pooled: it must stay open to hear notifications. When it drops
//! (the database restarts, the network fails) the task reconnects with backoff and, once
//! listening again, publishes the newest sequence number in the table, so that a server that
//! missed notifications while the connection was down catches up by sequence number.

use super::errors::from_pg;
use crate::StoreError;
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

/// The NOTIFY channel the schema's trigger announces new changes on; the payload is the newest
/// change sequence number of the committed statement.
pub const CHANNEL: &str = "assetmap_changes";

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Runs until every receiver of `sender` is dropped.
pub(crate) async fn run(config: tokio_postgres::Config, sender: watch::Sender<u64>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        match listen_once(&config, &sender).await {
            Ok(Outcome::Stopped) => return,
            Ok(Outcome::Dropped) => {
                tracing::warn!("the change-signal connection to PostgreSQL dropped; reconnecting");
                backoff = FIRST_BACKOFF;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot listen for changes on PostgreSQL");
            }
        }
        tokio::select! {
            () = sender.closed() => return,
            () = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

enum Outcome {
    /// Nobody listens to the signal any more.
    Stopped,
    /// The connection ended; reconnect.
    Dropped,
}

/// Publishes `seq` if it is newer; always wakes the receivers when `force` is set.
fn publish(sender: &watch::Sender<u64>, seq: u64, force: bool) {
    sender.send_if_modified(|current| {
        if seq > *current {
            *current = seq;
            true
        } else {
            force
        }
    });
}

async fn listen_once(
    config: &tokio_postgres::Config,
    sender: &watch::Sender<u64>,
) -> Result<Outcome, StoreError> {
    // The config's connect timeout covers only the TCP connect: bound start-up and
    // authentication too, or a frozen server would hold this task forever.
    let limit = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(Duration::from_secs(5));
    let (client, mut connection) = tokio::time::timeout(limit, config.connect(NoTls))
        .await
        .map_err(|_| {
            StoreError::Unavailable(format!(
                "PostgreSQL did not accept a connection within {:.1} s",
                limit.as_secs_f64()
            ))
        })?
        .map_err(from_pg)?;
    let (notes_tx, mut notes) = mpsc::unbounded_channel::<String>();
    // The connection must be polled for the client's queries to run and for notifications to
    // arrive; when it ends, `notes_tx` is dropped and the loop below sees the channel close.
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if notes_tx.send(n.payload().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(from_pg)?;
        // Listening now: anything committed from here on is announced. Publish what is
        // already there so a reconnect catches up on what was missed while disconnected.
        let latest = client
            .query_opt("SELECT coalesce(max(seq), 0) FROM asset_changes", &[])
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get::<_, i64>(0).ok())
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0);
        publish(sender, latest, true);
        loop {
            tokio::select! {
                note = notes.recv() => match note {
                    Some(payload) => match payload.parse::<u64>() {
                        Ok(seq) => publish(sender, seq, false),
                        // Not ours to interpret; still a hint that something changed.
                        Err(_) => publish(sender, 0, true),
                    },
                    None => return Ok(Outcome::Dropped),
                },
                () = sender.closed() => return Ok(Outcome::Stopped),
            }
        }
    }
    .await;
    driver.abort();
    result
}
