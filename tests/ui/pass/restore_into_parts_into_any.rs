// `restore` rebuilds a handle in any state from its parts, `into_parts` takes it
// apart, `into_any` and `From` turn it into the runtime enum.

use proxy_machine::lifecycle;

lifecycle! {
    machine Order {
        context: u32;
        initial: Cart;
        terminal: [Shipped];
        states { Cart, Paid(String), Shipped }
        events { Pay(String), Ship }
        transitions {
            Cart + Pay => Paid,
            Paid + Ship => Shipped,
        }
    }
}

impl OrderHandlers for u32 {
    fn cart_pay(&mut self, event: String) -> String {
        *self += 1;
        event
    }

    fn paid_ship(&mut self, _state: String) {
        *self += 1;
    }
}

fn main() {
    let paid = Order::new(0).pay("card".into());
    let (context, data) = paid.into_parts();
    assert_eq!((context, data.as_str()), (1, "card"));

    // Stored, then restored in the state it was in.
    let paid: Order<order::Paid> = Order::restore(context, data);
    assert_eq!(paid.data(), "card");
    let shipped = paid.ship();
    assert_eq!(shipped.into_parts(), (2, ()));

    let restored = Order::<order::Shipped>::restore(9, ()).into_any();
    assert_eq!(restored.state_name(), "Shipped");
    assert_eq!(*restored.context(), 9);
    assert!(matches!(restored, OrderAny::Shipped(_)));

    let cart = OrderAny::from(Order::new(5));
    match cart {
        OrderAny::Cart(handle) => assert_eq!(*handle.context(), 5),
        other => panic!("expected `Cart`, got {other:?}"),
    }
}
