// server::demo_shop_main: the `endure demo-shop` / `endure-demo-shop` entry point: flags, the
// "listening" line, run until SIGINT/SIGTERM. Exit codes: 0 ok or --help, 2 bad flag or port in use.
#pragma once

namespace endure::server {

// argv[0] is the program (or sub-command) name and is skipped. Blocks SIGINT and SIGTERM in the
// calling thread while it waits for them (call it before starting other threads, as main() does).
int demo_shop_main(int argc, char** argv);

}  // namespace endure::server
