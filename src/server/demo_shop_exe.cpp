// endure-demo-shop: the demo shop alone, for tests and demos.
#include "server/demo_shop_main.hpp"

int main(int argc, char** argv) { return endure::server::demo_shop_main(argc, argv); }
