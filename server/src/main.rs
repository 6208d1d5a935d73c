use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use server::config::Settings;
use server::startup::Application;
use server::{cli, telemetry};

/// Opsquad: an AI operations squad for field-service businesses.
#[derive(Debug, Parser)]
#[command(name = "opsquad", version)]
struct Args {
    /// Folder with base.toml and <OPSQUAD_ENV>.toml.
    #[arg(long, env = "OPSQUAD_CONFIG_DIR", default_value = "configuration", global = true)]
    config_dir: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (the default). Listens on OPSQUAD_ADDR; database from DATABASE_URL.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create (or refresh) the demo shop and print {org_id, api_key, owner_email, password}.
    Demo,
    /// Measure how inquiries are read and qualified on labelled cases (evals/tune.jsonl and the
    /// frozen evals/holdout.jsonl) and print JSON, per shop, with confusion tables: the offline
    /// model, or the configured Bedrock model (skipped, saying so, when no AWS credentials are found).
    Eval {
        #[arg(long, default_value = "evals")]
        dir: PathBuf,
        /// tune, holdout (the current frozen one), holdout_v1 … holdout_v5 (earlier ones) or all.
        #[arg(long, default_value = "holdout")]
        split: String,
        /// offline or bedrock.
        #[arg(long, default_value = "offline")]
        model: String,
        /// Record the holdout's new hash: only when cases were added on purpose, never after
        /// editing rules against it.
        #[arg(long)]
        refreeze_holdout: bool,
    },
    /// Push N leads through the whole pipeline on a fresh database and print throughput as JSON;
    /// with --chats N, time N chat visitors' waits for the squad's reply to begin streaming.
    Bench {
        #[arg(long, default_value_t = 500)]
        leads: usize,
        #[arg(long, default_value_t = 4)]
        workers: usize,
        /// A PostgreSQL server URL to bench on (a throwaway database is created); SQLite otherwise.
        #[arg(long)]
        postgres: Option<String>,
        /// Measure time to the first streamed piece of a reply over N chats (SQLite, offline model).
        #[arg(long)]
        chats: Option<usize>,
        /// Measure how soon --leads inquiries' cards reach N open boards of one shop.
        #[arg(long)]
        dashboards: Option<usize>,
        /// Work the jobs with this many separate processes on one PostgreSQL database (with --postgres).
        #[arg(long, default_value_t = 1)]
        instances: usize,
        /// Internal: be one of those processes, working the jobs due on this database.
        #[arg(long, hide = true)]
        join: Option<String>,
    },
    /// Print a new random key for `secrets.key` (OPSQUAD_SECRETS__KEY), which seals the shops'
    /// credentials. To rotate, put the new key first and keep the old ones after it.
    SecretsKey {
        /// The key's id, recorded beside everything it seals.
        #[arg(long, default_value = "k1")]
        id: String,
    },
    /// Manage organisations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage an organisation's API keys.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create an API key for an org and print {"id", "api_key"} as one JSON line.
    Create {
        #[arg(long)]
        org: String,
        /// inbound (hand in inquiries only), read, or full.
        #[arg(long)]
        scope: String,
        /// The rights within its scope: staff (the default) or owner.
        #[arg(long, default_value = "staff")]
        role: String,
        #[arg(long, default_value = "Created by opsquad key create")]
        name: String,
    },
    /// Revoke an API key by its id; tokens minted from it stop working at once.
    Revoke {
        #[arg(long)]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum OrgCommand {
    /// Create an organisation with its owner and print {"org_id", "api_key"} as one JSON line.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        owner_email: String,
        #[arg(long, env = "OPSQUAD_OWNER_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    // Needs no configuration: it is how a production configuration gets its key.
    if let Some(Command::SecretsKey { id }) = &args.command {
        println!("{}", integrations::secrets::Keyring::new_entry(id));
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::load(&args.config_dir) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("opsquad: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            return ExitCode::FAILURE;
        }
    };
    let traces = match settings
        .telemetry
        .otlp_endpoint
        .as_deref()
        .map(|endpoint| telemetry::Traces::start(endpoint, &server::worker::process_name()))
    {
        Some(Err(err)) => {
            eprintln!("opsquad: {err}");
            return ExitCode::FAILURE;
        }
        Some(Ok(traces)) => {
            store::jobs::remember_traces(telemetry::current_traceparent);
            Some(std::sync::Arc::new(traces))
        }
        None => None,
    };
    telemetry::init_subscriber(telemetry::get_subscriber(
        &settings.telemetry.log_filter,
        settings.telemetry.log_format,
        std::io::stderr,
        traces.as_deref(),
    ));

    let outcome = match args.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&settings).await,
        Command::Demo => match server::demo::create_demo(&settings).await {
            Ok(credentials) => match serde_json::to_string(&credentials) {
                Ok(line) => {
                    println!("{line}");
                    Ok(())
                }
                Err(err) => Err(err.into()),
            },
            Err(err) => Err(err.into()),
        },
        Command::Bench { leads, workers, postgres, chats, dashboards, instances, join } => {
            let report = match (chats, dashboards, join) {
                (Some(chats), _, _) => server::chat_bench::run(&settings, chats).await,
                (None, Some(boards), _) => {
                    server::board_bench::run(&settings, boards, leads, postgres.as_deref()).await
                }
                (None, None, Some(url)) => server::bench::join(&url, workers).await,
                (None, None, None) => {
                    let crew = server::bench::Crew { workers, instances };
                    server::bench::run(leads, crew, postgres.as_deref()).await
                }
            };
            match report {
                Ok(report) => {
                    println!("{report:#}");
                    Ok(())
                }
                Err(err) => Err(err.into()),
            }
        }
        Command::Eval { dir, split, model, refreeze_holdout } => {
            let report = match model.as_str() {
                "offline" => cli::eval(&dir, &split, refreeze_holdout).map(Some),
                "bedrock" => cli::eval_bedrock(&settings, &dir, &split, refreeze_holdout).await,
                other => Err(cli::CliError::Invalid {
                    field: "model",
                    message: format!("unknown model `{other}` (use offline or bedrock)"),
                }),
            };
            match report {
                Ok(Some(report)) => {
                    println!("{report}");
                    Ok(())
                }
                Ok(None) => Ok(()),
                Err(err) => Err(err.into()),
            }
        }
        Command::SecretsKey { .. } => Ok(()),
        Command::Migrate => cli::migrate(&settings).await.map(|()| eprintln!("opsquad: migrations applied")),
        Command::Key { command: KeyCommand::Create { org, scope, role, name } } => {
            cli::create_key(&settings, &org, &scope, &role, &name)
                .await
                .map(|line| println!("{line}"))
                .map_err(Into::into)
        }
        Command::Key { command: KeyCommand::Revoke { id } } => {
            cli::revoke_key(&settings, &id).await.map(|line| println!("{line}")).map_err(Into::into)
        }
        Command::Org { command: OrgCommand::Create { name, owner_email, password } } => {
            match cli::create_org(&settings, &name, &owner_email, &password).await {
                Ok(line) => {
                    println!("{line}");
                    Ok(())
                }
                Err(err) => Err(err.into()),
            }
        }
    };
    if let Some(traces) = traces {
        let _ = tokio::task::spawn_blocking(move || traces.shutdown()).await;
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("opsquad: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let application = Application::build(settings).await?;
    tracing::info!(addr = %application.local_addr()?, environment = ?settings.environment, "opsquad listening");
    application.run_until_stopped().await?;
    Ok(())
}
