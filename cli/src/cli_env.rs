//! Command-line flags and environment variables: the naming rule, the GitHub Actions fallbacks, and a
//! `--help` that does not show an unset variable as `NAME=`.
//!
//! The rule: flag `--some-flag` of any subcommand of either binary reads `ECOSYNC_SOME_FLAG` (prefix
//! `ECOSYNC_`, upper case, `-` becomes `_`); a flag given on the command line wins over the variable. Only
//! `--help` and `--version` have no variable. A few flags also fall back to a variable GitHub Actions sets,
//! read after the `ECOSYNC_` one (flag > `ECOSYNC_X` > `GITHUB_X`); clap takes a single variable per flag,
//! so the fallback is applied when the binaries build their validated configuration, with [`fallback`].
//!
//! Nothing here prints; the binaries call these functions, and each binary's test checks the rule with
//! [`assert_every_flag_follows_the_rule`].

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::{Arg, Command};
use ecosync::repo_name::has_credentials;

/// The variable flag `--long` reads under the rule: `some-flag` gives `ECOSYNC_SOME_FLAG`.
pub fn flag_env_name(long: &str) -> String {
    format!("ECOSYNC_{}", long.replace('-', "_").to_ascii_uppercase())
}

/// The value of variable `var` when it is set and not empty (an empty value counts as unset, as an unset
/// input of a GitHub workflow is an empty string).
pub fn fallback(var: &str) -> Option<OsString> {
    non_empty(std::env::var_os(var))
}

/// `value` unless it is empty.
pub fn non_empty(value: Option<OsString>) -> Option<OsString> {
    value.filter(|v| !v.is_empty())
}

/// A text flag's value (from the command line or its `ECOSYNC_` variable), else the fallback variable
/// `var`: flag > `ECOSYNC_X` > `var`. Empty values count as unset. A fallback value that is not UTF-8 is
/// read lossily.
pub fn string_or_fallback(value: Option<String>, var: &str) -> Option<String> {
    value
        .filter(|v| !v.is_empty())
        .or_else(|| fallback(var).map(|v| v.to_string_lossy().into_owned()))
}

/// [`string_or_fallback`] for a path.
pub fn path_or_fallback(value: Option<PathBuf>, var: &str) -> Option<PathBuf> {
    value
        .filter(|v| !v.as_os_str().is_empty())
        .or_else(|| fallback(var).map(PathBuf::from))
}

/// Hides the value in `--help` of every argument (of `cmd` and of all its subcommands) whose environment
/// variable is unset, so that help shows `[env: ECOSYNC_REPO]` instead of `[env: ECOSYNC_REPO=]`. A value
/// that looks like it holds credentials (a URL with a user or password in it) is hidden too. Values already
/// hidden stay hidden.
///
/// clap reads the variables when the command is built, so call this on the built command, before parsing:
///
/// ```no_run
/// use clap::{CommandFactory as _, FromArgMatches as _, Parser};
///
/// #[derive(Parser)]
/// struct Cli {
///     #[arg(long, env = "ECOSYNC_REPO")]
///     repo: Option<String>,
/// }
///
/// let mut cmd = ecosync_cli::cli_env::hide_unset_env_values(Cli::command());
/// let matches = cmd.get_matches_mut();
/// let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut cmd).exit());
/// # let _ = cli;
/// ```
pub fn hide_unset_env_values(cmd: Command) -> Command {
    hide_env_values_where(cmd, &|var| {
        std::env::var_os(var).is_none_or(|v| v.is_empty() || has_credentials(&v.to_string_lossy()))
    })
}

/// Makes every argument (of `cmd` and of all its subcommands) whose environment variable is set but empty
/// behave as if the variable were unset. A workflow passes an optional value as `VAR: ${{ inputs.x }}`,
/// which is empty when the input was not given; that must mean "not given", not an empty value (or, for a
/// boolean flag, an error). Call it on the built command, before parsing, like [`hide_unset_env_values`].
pub fn ignore_empty_env_values(cmd: Command) -> Command {
    map_args(cmd, &|arg| match arg.get_env() {
        Some(var) if std::env::var_os(var).is_some_and(|v| v.is_empty()) => arg.env(None),
        _ => arg,
    })
}

/// [`hide_unset_env_values`] with the decision given: `hide(var)` says whether to hide `var`'s value.
fn hide_env_values_where(cmd: Command, hide: &dyn Fn(&OsStr) -> bool) -> Command {
    map_args(cmd, &|arg| match arg.get_env() {
        Some(var) if hide(var) => arg.hide_env_values(true),
        _ => arg,
    })
}

/// `cmd` with `f` applied to every argument of it and of all its subcommands.
fn map_args(cmd: Command, f: &dyn Fn(Arg) -> Arg) -> Command {
    let cmd = cmd.mut_args(f);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    names.iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| map_args(sub, f))
    })
}

/// The flags of `cmd` and its subcommands that break the naming rule, as `subcommand --flag: why`. Empty
/// when every flag but `--help` and `--version` reads the variable the rule gives it. For tests.
pub fn flags_off_the_rule(cmd: &Command) -> Vec<String> {
    let mut problems = Vec::new();
    collect_off_the_rule(cmd, cmd.get_name(), &mut problems);
    problems
}

/// Fails when a flag of `C` (any subcommand) does not read its `ECOSYNC_` variable: each binary's test.
///
/// # Panics
///
/// When a flag is off the rule, naming it.
pub fn assert_every_flag_follows_the_rule<C: clap::CommandFactory>() {
    assert_eq!(flags_off_the_rule(&C::command()), Vec::<String>::new());
}

fn collect_off_the_rule(cmd: &Command, path: &str, problems: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        let Some(long) = arg.get_long() else {
            continue;
        };
        if matches!(long, "help" | "version") {
            continue;
        }
        let want = flag_env_name(long);
        match arg.get_env() {
            Some(var) if var == want.as_str() => {}
            Some(var) => problems.push(format!(
                "{path} --{long}: reads `{}`, the rule says `{want}`",
                var.to_string_lossy()
            )),
            None => problems.push(format!(
                "{path} --{long}: reads no variable, the rule says `{want}`"
            )),
        }
    }
    for sub in cmd.get_subcommands() {
        collect_off_the_rule(sub, &format!("{path} {}", sub.get_name()), problems);
    }
}

#[cfg(test)]
mod tests {
    use clap::{Arg, ArgAction};

    use super::*;

    fn sample() -> Command {
        Command::new("tool")
            .arg(Arg::new("top").long("top").env("ECOSYNC_TEST_TOP"))
            .subcommand(
                Command::new("run")
                    .arg(Arg::new("set").long("set").env("ECOSYNC_TEST_SET"))
                    .arg(Arg::new("unset").long("unset").env("ECOSYNC_TEST_UNSET"))
                    .arg(Arg::new("plain").long("plain").action(ArgAction::SetTrue)),
            )
    }

    fn help(cmd: &mut Command, sub: &str) -> String {
        cmd.build();
        let sub = cmd.find_subcommand_mut(sub).expect("subcommand");
        sub.render_long_help().to_string()
    }

    #[test]
    fn flag_names_map_to_variables() {
        assert_eq!(flag_env_name("repo"), "ECOSYNC_REPO");
        assert_eq!(
            flag_env_name("min-rate-limit-wait"),
            "ECOSYNC_MIN_RATE_LIMIT_WAIT"
        );
        assert_eq!(flag_env_name("token-env"), "ECOSYNC_TOKEN_ENV");
    }

    #[test]
    fn unset_variables_show_without_an_equals_sign_in_subcommands_too() {
        // Pretend only ECOSYNC_TEST_SET is set; clap reads the real environment for the values, so the
        // decision is injected and the rendering checked for the unset ones.
        let mut cmd = hide_env_values_where(sample(), &|var| var != "ECOSYNC_TEST_SET");
        let top = cmd.render_long_help().to_string();
        assert!(top.contains("[env: ECOSYNC_TEST_TOP]"), "{top}");
        let run = help(&mut cmd, "run");
        assert!(run.contains("[env: ECOSYNC_TEST_UNSET]"), "{run}");
        assert!(!run.contains("ECOSYNC_TEST_UNSET="), "{run}");
        // Not hidden: clap shows `NAME=` followed by the value (empty here, as it is not really set).
        assert!(run.contains("[env: ECOSYNC_TEST_SET="), "{run}");
    }

    #[test]
    fn without_the_helper_clap_shows_a_trailing_equals_sign() {
        // The behaviour the helper exists for; if clap stops doing this the helper can go.
        let mut cmd = sample();
        assert!(help(&mut cmd, "run").contains("[env: ECOSYNC_TEST_UNSET=]"));
    }

    #[test]
    fn the_real_environment_decides_by_default() {
        // PATH is set in any test environment, the variable below is not.
        let cmd = Command::new("tool")
            .arg(Arg::new("path").long("path").env("PATH"))
            .arg(
                Arg::new("nope")
                    .long("nope")
                    .env("ECOSYNC_TEST_SURELY_UNSET_4711"),
            );
        let mut cmd = hide_unset_env_values(cmd);
        let help = cmd.render_long_help().to_string();
        assert!(
            help.contains("[env: ECOSYNC_TEST_SURELY_UNSET_4711]"),
            "{help}"
        );
        assert!(help.contains("PATH=/"), "{help}");
    }

    #[test]
    fn flags_off_the_rule_are_listed_with_the_expected_name() {
        let cmd = sample().arg(Arg::new("api-url").long("api-url").env("GITHUB_API_URL"));
        let problems = flags_off_the_rule(&cmd);
        assert_eq!(
            problems,
            [
                "tool --top: reads `ECOSYNC_TEST_TOP`, the rule says `ECOSYNC_TOP`",
                "tool --api-url: reads `GITHUB_API_URL`, the rule says `ECOSYNC_API_URL`",
                "tool run --set: reads `ECOSYNC_TEST_SET`, the rule says `ECOSYNC_SET`",
                "tool run --unset: reads `ECOSYNC_TEST_UNSET`, the rule says `ECOSYNC_UNSET`",
                "tool run --plain: reads no variable, the rule says `ECOSYNC_PLAIN`",
            ]
        );
        let good = Command::new("tool").arg(Arg::new("repo").long("repo").env("ECOSYNC_REPO"));
        assert!(flags_off_the_rule(&good).is_empty());
    }

    #[test]
    fn empty_values_count_as_unset() {
        assert_eq!(non_empty(Some(OsString::new())), None);
        assert_eq!(non_empty(Some("x".into())), Some("x".into()));
        assert_eq!(fallback("ECOSYNC_TEST_SURELY_UNSET_4711"), None);
        // The flag's value wins; an empty one falls through (to nothing here, the variable is unset).
        let unset = "ECOSYNC_TEST_SURELY_UNSET_4711";
        assert_eq!(
            string_or_fallback(Some("a".into()), unset).as_deref(),
            Some("a")
        );
        assert_eq!(string_or_fallback(Some(String::new()), unset), None);
        assert_eq!(path_or_fallback(Some(PathBuf::new()), unset), None);
        // PATH is set in any test environment.
        assert_eq!(
            string_or_fallback(Some("x".into()), "PATH").as_deref(),
            Some("x")
        );
        assert_eq!(
            string_or_fallback(None, "PATH"),
            std::env::var("PATH").ok().filter(|p| !p.is_empty())
        );
    }
}
