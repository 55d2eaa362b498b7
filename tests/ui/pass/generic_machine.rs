// A machine with a type parameter: the context and the payloads use it, and every
// generated item (handle, handlers, runtime enums) carries it.

use proxy_machine::lifecycle;

lifecycle! {
    machine Pool<T: Clone> {
        context: Vec<T>;
        initial: Open;
        terminal: [Closed];
        states { Open, Full(T), Closed }
        events { Add(T), Drain, Close }
        transitions {
            Open + Add => Open | Full,
            Full + Drain => Open,
            [Open, Full] + Close => Closed,
        }
    }
}

impl<T: Clone> PoolHandlers<T> for Vec<T> {
    fn open_add(&mut self, event: T) -> PoolOpenAdd<T> {
        if self.len() < 2 {
            self.push(event);
            PoolOpenAdd::Open
        } else {
            PoolOpenAdd::Full(event)
        }
    }

    fn full_drain(&mut self, _state: T) {
        self.clear();
    }

    fn open_close(&mut self) {}

    fn full_close(&mut self, state: T) {
        self.push(state);
    }
}

fn open<T: Clone>(next: PoolOpenAddNext<T>) -> Pool<T, pool::Open> {
    match next {
        PoolOpenAddNext::Open(open) => open,
        PoolOpenAddNext::Full(_) => panic!("expected room in the pool"),
    }
}

fn main() {
    let pool: Pool<String, pool::Open> = Pool::new(Vec::new());
    let pool = open(pool.add("a".to_owned()));
    let pool = open(pool.add("b".to_owned()));
    let full = match pool.add("c".to_owned()) {
        PoolOpenAddNext::Full(full) => full,
        PoolOpenAddNext::Open(_) => panic!("expected the pool to be full"),
    };
    assert_eq!(full.data(), "c");
    assert_eq!(full.context(), &["a", "b"]);
    let closed = full.close();
    assert_eq!(closed.context(), &["a", "b", "c"]);

    let mut any: PoolAny<u8> = Pool::new(vec![1, 2]).into_any();
    any.dispatch(PoolEvent::Add(3)).unwrap();
    assert_eq!(any.state_name(), "Full");
    any.dispatch(PoolEvent::Drain).unwrap();
    assert!(any.context().is_empty());
    assert_eq!(PoolEvent::<u8>::Close.name(), "Close");
    assert_eq!(PoolAny::<u8>::META.events[0].payload, Some("T"));
}
