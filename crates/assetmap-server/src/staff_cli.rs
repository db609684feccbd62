//! `assetmap user …` and `assetmap token …`: staff accounts and API tokens, straight to the
//! store (the server need not be running). The same rules as the HTTP routes: the account form
//! is checked by [`crate::auth::new_account`], tokens are made by
//! [`crate::auth::issue_token`], and only hashes are kept.
//!
//! A password is read from standard input: typed without echo at a terminal (twice), or the
//! first line of a pipe (`printf '%s\n' "$PW" | assetmap user add …`), so that it never appears
//! in the shell's history or the process list.

use crate::auth::{self, AccountForm};
use crate::config::Settings;
use crate::startup;
use anyhow::Context;
use assetmap_core::Role;
use assetmap_store::{AccountChange, ApiToken, AssetStore};
use chrono::Utc;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal};

/// `assetmap user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a staff account (the password is read from standard input).
    Add(UserAddArgs),
    /// List the staff accounts.
    List,
    /// Disable an account: it cannot sign in, its sessions end and its API tokens are revoked.
    Disable(EmailArg),
    /// Enable a disabled account again (its old sessions and tokens stay ended).
    Enable(EmailArg),
    /// Set a new password (read from standard input); the account's sessions end.
    ResetPassword(EmailArg),
}

/// `assetmap user add` flags.
#[derive(Debug, Args)]
pub struct UserAddArgs {
    /// The account's e-mail address (how they sign in).
    #[arg(long)]
    pub email: String,
    /// The name shown in the history of changes.
    #[arg(long)]
    pub name: String,
    /// admin (accounts and settings), editor (every asset) or steward (only the assets given
    /// to it).
    #[arg(long)]
    pub role: String,
}

/// An account named by its e-mail address.
#[derive(Debug, Args)]
pub struct EmailArg {
    /// The account's e-mail address.
    pub email: String,
}

/// `assetmap token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a script; its secret is printed once.
    Create(TokenCreateArgs),
    /// List the API tokens (never their secrets).
    List,
    /// Revoke a token by its id (from `token list`).
    Revoke(TokenIdArg),
}

/// `assetmap token create` flags.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// What the token is for ("nightly import").
    #[arg(long)]
    pub name: String,
    /// What it may do: admin, editor or steward.
    #[arg(long)]
    pub role: String,
    /// Days until it expires (1 to 366).
    #[arg(long, default_value_t = auth::DEFAULT_TOKEN_DAYS)]
    pub days: u32,
    /// The account it acts for (changes are credited to it; it never does more than the
    /// account may). Without it, changes are credited to the token.
    #[arg(long, value_name = "EMAIL")]
    pub account: Option<String>,
}

/// A token named by its id.
#[derive(Debug, Args)]
pub struct TokenIdArg {
    /// The token's id (from `assetmap token list`).
    pub id: String,
}

/// Runs `assetmap user …`.
pub async fn run_user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let store = startup::open_store_as_serve_would(&settings).await?;
    match command {
        UserCommand::Add(args) => {
            let password = read_password("Password for the new account")?;
            let account = auth::new_account(
                AccountForm {
                    email: args.email,
                    name: args.name,
                    role: args.role,
                    password,
                },
                Vec::new(),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            store.add_account(&account).await?;
            println!(
                "added {} account {} ({}), id {}",
                account.role, account.email, account.name, account.id
            );
        }
        UserCommand::List => {
            let accounts = store.accounts().await?;
            if accounts.is_empty() {
                println!("no accounts yet: add one with `assetmap user add`");
            }
            for a in accounts {
                println!(
                    "{:<36}  {:<8}  {:<9}  {}  ({}){}",
                    a.id,
                    a.role.as_str(),
                    if a.disabled { "disabled" } else { "active" },
                    a.email,
                    a.name,
                    if a.stewardships.is_empty() {
                        String::new()
                    } else {
                        format!(", keeps {} assets", a.stewardships.len())
                    }
                );
            }
        }
        UserCommand::Disable(EmailArg { email }) => {
            let a = account(store.as_ref(), &email).await?;
            store
                .update_account(&a.id, &AccountChange::Disabled(true))
                .await?;
            println!("disabled {email}: its sessions have ended and its API tokens are revoked");
        }
        UserCommand::Enable(EmailArg { email }) => {
            let a = account(store.as_ref(), &email).await?;
            store
                .update_account(&a.id, &AccountChange::Disabled(false))
                .await?;
            println!("enabled {email}");
        }
        UserCommand::ResetPassword(EmailArg { email }) => {
            let a = account(store.as_ref(), &email).await?;
            let password = read_password(&format!("New password for {email}"))?;
            auth::check_password(&password).map_err(|e| anyhow::anyhow!("the password {e}"))?;
            let hash = auth::hash_password(&password)?;
            store
                .update_account(&a.id, &AccountChange::PasswordHash(hash))
                .await?;
            println!("set a new password for {email}; its sessions have ended");
        }
    }
    Ok(())
}

/// Runs `assetmap token …`.
pub async fn run_token(settings: Settings, command: TokenCommand) -> anyhow::Result<()> {
    let store = startup::open_store_as_serve_would(&settings).await?;
    match command {
        TokenCommand::Create(args) => {
            let role = Role::parse(&args.role).map_err(|e| anyhow::anyhow!("--role: {e}"))?;
            let name = auth::check_name(&args.name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let length =
                auth::lasting_days(args.days).map_err(|e| anyhow::anyhow!("--days {e}"))?;
            let account = match &args.account {
                Some(email) => Some(account(store.as_ref(), email).await?.id),
                None => None,
            };
            let (secret, token) = auth::issue_token(name, role, account, length)
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            store.create_token(&token).await?;
            eprintln!(
                "made {} token {} ('{}'), expires {}; its secret is printed once, below — keep it somewhere safe:",
                token.role,
                token.id,
                token.name,
                token.expires_at.format("%Y-%m-%d")
            );
            println!("{secret}");
        }
        TokenCommand::List => {
            let tokens = store.tokens().await?;
            if tokens.is_empty() {
                println!("no API tokens yet: make one with `assetmap token create`");
            }
            for t in tokens {
                println!("{}", token_line(&t));
            }
        }
        TokenCommand::Revoke(TokenIdArg { id }) => {
            store.revoke_token(&id, Utc::now()).await?;
            println!("revoked token {id}");
        }
    }
    Ok(())
}

fn token_line(t: &ApiToken) -> String {
    let state = match (&t.revoked_at, t.expires_at <= Utc::now()) {
        (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d")),
        (None, true) => format!("expired {}", t.expires_at.format("%Y-%m-%d")),
        (None, false) => format!("expires {}", t.expires_at.format("%Y-%m-%d")),
    };
    format!(
        "{:<12}  {:<8}  {:<18}  {}{}",
        t.id,
        t.role.as_str(),
        state,
        t.name,
        t.account
            .as_deref()
            .map(|a| format!(" (acts for account {a})"))
            .unwrap_or_default()
    )
}

async fn account(store: &dyn AssetStore, email: &str) -> anyhow::Result<assetmap_store::Account> {
    store.account_by_email(email).await?.with_context(|| {
        format!("there is no account with e-mail address {email:?} (see `assetmap user list`)")
    })
}

/// A password from standard input: typed twice without echo at a terminal, else the first
/// line.
fn read_password(prompt: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("{prompt}: "))?;
        let again = rpassword::prompt_password("Again, to be sure: ")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input: pipe one in (printf '%s\\n' \"$PASSWORD\" | assetmap …) or run it at a terminal");
    }
    Ok(password)
}
