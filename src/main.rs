//! The `arzyab` command: parses the command line and hands over to the library.
#![forbid(unsafe_code)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    arzyab::cli::run(arzyab::cli::Cli::parse())
}
