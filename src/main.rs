//! The `takehome` command: parses arguments and hands over to `cli`.

fn main() -> std::process::ExitCode {
    takehome::cli::main()
}
