// A machine with a lifetime parameter: the context borrows.

use proxy_machine::lifecycle;

lifecycle! {
    machine Borrowing<'a> {
        context: &'a str;
        initial: Reading;
        terminal: [Done];
        states { Reading, Done(&'a str) }
        events { Finish }
        transitions { Reading + Finish => Done }
    }
}

impl<'a> BorrowingHandlers<'a> for &'a str {
    fn reading_finish(&mut self) -> &'a str {
        let (head, _) = self.split_at(3);
        head
    }
}

fn first_word(text: &str) -> &str {
    let done = Borrowing::new(text).finish();
    done.into_parts().1
}

fn main() {
    let text = String::from("abc def");
    assert_eq!(first_word(&text), "abc");
    let mut any = BorrowingAny::from(Borrowing::new(&text[..]));
    any.dispatch(BorrowingEvent::Finish).unwrap();
    assert_eq!(*any.context(), "abc def");
}
