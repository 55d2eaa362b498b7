// `machine Lamp {}`: every missing section is reported in the same build.
use proxy_machine::lifecycle;

lifecycle! {
    machine Lamp {}
}

fn main() {}
