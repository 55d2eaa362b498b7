use proxy_machine::lifecycle;

lifecycle! {}

fn main() {}
