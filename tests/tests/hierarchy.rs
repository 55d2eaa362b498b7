//! Superstates: `superstates { Loaded: [Active, Paused], Active: [Playing, Buffering] }`
//! groups states that share rows, timeouts and deferrals. For one state and one
//! event the nearest level decides: the state's own row or deferral, then its
//! superstate's, then the enclosing one's, then the wildcard. Checked against `META`
//! (the rows a superstate stands for are there once per state, with `via`), through
//! `dispatch` from every state, and on the typed API, which stays exact per state.

use std::time::Duration;

use proxy_machine::lifecycle;

lifecycle! {
    /// A media player.
    machine Player {
        context: Vec<String>;
        initial: Stopped;
        terminal: [Ejected];
        states { Stopped, Loading(u32), Playing(u32), Paused(u32), Buffering(u32), Ejected }
        events { Load(u32), Ready, Play, Pause, Stall, Resume, Stop, Eject, Tick }
        superstates {
            /// A track is loaded.
            Loaded: [Active, Paused],
            /// Sound is coming, or about to.
            Active: [Playing, Buffering],
        }
        transitions {
            Stopped + Load => Loading,
            Loading + Ready => Paused,
            Paused + Play => Playing,
            // Its own row: `Active + Pause` covers only Buffering.
            Playing + Pause => Paused,
            Playing + Stall => Buffering,
            Buffering + Resume => Playing,
            /// Stopping works from every loaded state.
            Loaded + Stop => Stopped,
            Active + Pause => Paused,
            // Guarded rows of a superstate: each of its states gets the pair.
            Active + Tick if late => Stopped,
            Active + Tick => Playing,
            // Everything not terminal, without its own row and not deferring it.
            _ + Eject => Ejected,
        }
        timeouts {
            Active after Duration::from_secs(5) => Tick,
        }
        defer {
            Loaded: [Load],
            Loading: [Eject],
        }
    }
}

impl PlayerHandlers for Vec<String> {
    fn stopped_load(&mut self, track: u32) -> u32 {
        track
    }
    fn loading_ready(&mut self, track: u32) -> u32 {
        track
    }
    fn paused_play(&mut self, track: u32) -> u32 {
        track
    }
    fn playing_pause(&mut self, track: u32) -> u32 {
        self.push(format!("paused {track} while playing"));
        track
    }
    fn playing_stall(&mut self, track: u32) -> u32 {
        track
    }
    fn buffering_resume(&mut self, track: u32) -> u32 {
        track
    }
    // `Loaded + Stop`: one handler per state it stands for, with that state's data.
    fn playing_stop(&mut self, track: u32) {
        self.push(format!("stopped {track} from Playing"));
    }
    fn buffering_stop(&mut self, track: u32) {
        self.push(format!("stopped {track} from Buffering"));
    }
    fn paused_stop(&mut self, track: u32) {
        self.push(format!("stopped {track} from Paused"));
    }
    fn buffering_pause(&mut self, track: u32) -> u32 {
        self.push(format!("paused {track} while buffering"));
        track
    }
    fn playing_tick_if_late(&mut self, _track: u32) {}
    fn playing_tick(&mut self, track: u32) -> u32 {
        track
    }
    fn buffering_tick_if_late(&mut self, _track: u32) {}
    fn buffering_tick(&mut self, track: u32) -> u32 {
        track
    }
    fn late(&self) -> bool {
        self.iter().any(|line| line == "late")
    }
    fn stopped_eject(&mut self) {}
    fn playing_eject(&mut self, _track: u32) {}
    fn paused_eject(&mut self, _track: u32) {}
    fn buffering_eject(&mut self, _track: u32) {}
}

fn in_state(name: &str) -> PlayerAny {
    let cx = Vec::new();
    match name {
        "Stopped" => Player::<player::Stopped>::restore(cx, ()).into(),
        "Loading" => Player::<player::Loading>::restore(cx, 1).into(),
        "Playing" => Player::<player::Playing>::restore(cx, 2).into(),
        "Paused" => Player::<player::Paused>::restore(cx, 3).into(),
        "Buffering" => Player::<player::Buffering>::restore(cx, 4).into(),
        "Ejected" => Player::<player::Ejected>::restore(cx, ()).into(),
        other => panic!("no state {other}"),
    }
}

fn event(name: &str) -> PlayerEvent {
    match name {
        "Load" => PlayerEvent::Load(7),
        "Ready" => PlayerEvent::Ready,
        "Play" => PlayerEvent::Play,
        "Pause" => PlayerEvent::Pause,
        "Stall" => PlayerEvent::Stall,
        "Resume" => PlayerEvent::Resume,
        "Stop" => PlayerEvent::Stop,
        "Eject" => PlayerEvent::Eject,
        "Tick" => PlayerEvent::Tick,
        other => panic!("no event {other}"),
    }
}

#[test]
fn meta_has_the_tree_and_each_superstate_row_once_per_state_it_stands_for() {
    let meta = PlayerAny::META;
    let groups: Vec<(&str, Option<&str>, &[&str])> =
        meta.superstates.iter().map(|s| (s.name, s.parent, s.states)).collect();
    assert_eq!(
        groups,
        [("Loaded", None, &["Paused"][..]), ("Active", Some("Loaded"), &["Playing", "Buffering"][..])]
    );
    assert_eq!(meta.superstates[0].doc, "A track is loaded.");
    assert_eq!(meta.superstates_of("Buffering").collect::<Vec<_>>(), ["Active", "Loaded"]);
    assert_eq!(meta.superstates_of("Paused").collect::<Vec<_>>(), ["Loaded"]);
    assert!(meta.superstates_of("Stopped").next().is_none());
    assert!(meta.is_in("Playing", "Loaded") && !meta.is_in("Paused", "Active"));

    let rows = |event: &str| -> Vec<(&str, Option<&str>, Option<&str>)> {
        meta.rows.iter().filter(|r| r.event == event).map(|r| (r.source, r.guard, r.via)).collect()
    };
    assert_eq!(
        rows("Stop"),
        [
            ("Playing", None, Some("Loaded")),
            ("Paused", None, Some("Loaded")),
            ("Buffering", None, Some("Loaded"))
        ]
    );
    // Playing's own row beats its superstate's.
    assert_eq!(rows("Pause"), [("Playing", None, None), ("Buffering", None, Some("Active"))]);
    assert_eq!(
        rows("Tick"),
        [
            ("Playing", Some("late"), Some("Active")),
            ("Playing", None, Some("Active")),
            ("Buffering", Some("late"), Some("Active")),
            ("Buffering", None, Some("Active")),
        ]
    );
    // The wildcard comes after every superstate, and skips what defers the event.
    assert_eq!(
        rows("Eject"),
        [
            ("Stopped", None, Some("_")),
            ("Playing", None, Some("_")),
            ("Paused", None, Some("_")),
            ("Buffering", None, Some("_"))
        ]
    );
    // Shared timeouts and deferrals, per state.
    let timed: Vec<&str> = meta.timeouts.iter().map(|t| t.state).collect();
    assert_eq!(timed, ["Playing", "Buffering"]);
    assert_eq!(meta.timeout("Buffering").map(|t| t.after), Some("Duration::from_secs(5)"));
    for state in ["Playing", "Paused", "Buffering"] {
        assert!(meta.defers(state, "Load"), "{state}");
    }
    assert!(meta.defers("Loading", "Eject") && !meta.defers("Stopped", "Load"));
}

#[test]
fn dispatch_agrees_with_meta_from_every_state_and_for_every_event() {
    let meta = PlayerAny::META;
    for state in meta.states {
        for ev in meta.events {
            let mut machine = in_state(state.name);
            let expected = meta.targets(state.name, ev.name);
            match (machine.dispatch(event(ev.name)), expected) {
                (Ok(transition), Some(_)) => {
                    let all: Vec<&str> =
                        meta.rows_for(state.name, ev.name).flat_map(|r| r.targets.iter().copied()).collect();
                    assert!(all.contains(&transition.to), "{} + {}", state.name, ev.name);
                    assert_eq!(machine.state_name(), transition.to);
                }
                (Err(rejected), None) => {
                    assert_eq!((rejected.state, rejected.event_name), (state.name, ev.name));
                    assert_eq!(machine.state_name(), state.name);
                }
                (outcome, expected) => panic!(
                    "{} + {}: {:?} but META says {expected:?}",
                    state.name,
                    ev.name,
                    outcome.map(|t| t.to)
                ),
            }
            assert_eq!(machine.defers(&event(ev.name)), meta.defers(machine.state_name(), ev.name));
        }
    }
}

#[test]
fn the_typed_api_is_exact_per_state_with_the_superstates_rows() {
    let playing = Player::new(Vec::new()).load(4).ready().play();
    let stopped = playing.stall().stop();
    assert_eq!(stopped.context(), &["stopped 4 from Buffering"]);
    let paused = Player::new(Vec::new()).load(5).ready().play().stall().pause();
    assert_eq!(paused.context(), &["paused 5 while buffering"]);
    assert_eq!(*paused.data(), 5);
    // The guarded superstate rows: not late, back to Playing; late, Stopped.
    match Player::<player::Buffering>::restore(Vec::new(), 6).tick() {
        PlayerBufferingTickNext::Playing(playing) => assert_eq!(*playing.data(), 6),
        PlayerBufferingTickNext::Stopped(_) => panic!("not late"),
    }
    match Player::<player::Playing>::restore(vec!["late".into()], 6).tick() {
        PlayerPlayingTickNext::Stopped(stopped) => assert_eq!(stopped.state_name(), "Stopped"),
        PlayerPlayingTickNext::Playing(_) => panic!("late"),
    }
}

/// The superstate's trait: implemented by every state below it.
fn name_length<S: PlayerLoaded>(handle: &Player<S>) -> usize {
    handle.state_name().len()
}

#[test]
fn a_superstate_is_a_trait_of_its_states() {
    fn in_active<S: PlayerActive + PlayerLoaded>() {}
    in_active::<player::Playing>();
    in_active::<player::Buffering>();
    let paused = Player::<player::Paused>::restore(Vec::new(), 1);
    assert_eq!(name_length(&paused), 6);
}

#[test]
fn the_diagrams_draw_the_superstates() {
    let mermaid = PlayerAny::to_mermaid();
    assert!(mermaid.contains("    state Loaded {\n        Paused\n        state Active {\n            Playing\n            Buffering\n        }\n    }\n"), "{mermaid}");
    // A superstate's row is one edge from the superstate.
    assert!(mermaid.contains("    Loaded --> Stopped: Stop\n"), "{mermaid}");
    assert!(!mermaid.contains("Paused --> Stopped: Stop"), "{mermaid}");
    assert!(
        mermaid.contains("    Active --> Stopped: after Duration\u{2237}from_secs(5) / Tick [late]\n"),
        "{mermaid}"
    );
    // The wildcard's rows are drawn per state.
    assert!(mermaid.contains("    Paused --> Ejected: Eject\n"), "{mermaid}");

    let dot = PlayerAny::to_dot();
    assert!(dot.contains("compound=true;"), "{dot}");
    assert!(dot.contains("subgraph cluster_Loaded {"), "{dot}");
    assert!(dot.contains("subgraph cluster_Active {"), "{dot}");
    assert!(dot.contains("Playing -> Stopped [label=\"Stop\", ltail=cluster_Loaded];"), "{dot}");

    let svg = PlayerAny::META.to_svg();
    assert!(svg.contains("data-superstates=\"Active Loaded\""), "{svg}");
    assert!(svg.contains("class=\"superstate-bar\""), "{svg}");
    assert!(svg.contains("Loaded: Paused, Active"), "{svg}");
}

#[test]
fn the_shared_timeout_is_armed_in_each_state_it_stands_for() {
    let meta = PlayerAny::META;
    for state in ["Playing", "Buffering"] {
        let timeout = meta.timeout(state).expect("shared timeout");
        assert_eq!(timeout.event, "Tick");
        assert!(meta.targets(state, "Tick").is_some());
    }
    assert!(meta.timeout("Paused").is_none());
}

lifecycle! {
    /// A trip: superstates with entry and exit actions, nested.
    machine Trip {
        context: Vec<String>;
        initial: Home;
        terminal: [Back];
        entry: [Away, Abroad, Hotel];
        exit: [Away, Abroad, Airport];
        states { Home, Airport, Hotel(u8), Beach, Back }
        events { Go, Fly, Swim, Rest, Return }
        superstates {
            Away: [Airport, Abroad],
            Abroad: [Hotel, Beach],
        }
        transitions {
            Home + Go => Airport,
            Airport + Fly => Hotel,
            Hotel + Swim => Beach,
            Beach + Rest => Hotel | Beach,
            Hotel + Rest => Hotel,
            Abroad + Return => Back,
        }
    }
}

impl TripHandlers for Vec<String> {
    fn home_go(&mut self) {
        self.push("go".into());
    }
    fn airport_fly(&mut self) -> u8 {
        self.push("fly".into());
        1
    }
    fn hotel_swim(&mut self, _night: u8) {
        self.push("swim".into());
    }
    fn beach_rest(&mut self) -> TripBeachRest {
        self.push("rest".into());
        TripBeachRest::Hotel(2)
    }
    fn hotel_rest(&mut self, night: u8) -> u8 {
        self.push("rest in".into());
        night + 1
    }
    fn hotel_return(&mut self, _night: u8) {
        self.push("return".into());
    }
    fn beach_return(&mut self) {
        self.push("return from the beach".into());
    }
    fn on_enter_hotel(&mut self, night: &mut u8) {
        self.push(format!("enter Hotel, night {night}"));
    }
    fn on_exit_airport(&mut self) {
        self.push("exit Airport".into());
    }
    fn on_enter_away(&mut self) {
        self.push("enter Away".into());
    }
    fn on_exit_away(&mut self) {
        self.push("exit Away".into());
    }
    fn on_enter_abroad(&mut self) {
        self.push("enter Abroad".into());
    }
    fn on_exit_abroad(&mut self) {
        self.push("exit Abroad".into());
    }
}

/// A move runs the source's exit, the row's handler, the exits of the superstates
/// it leaves (innermost first), the entries of those it enters (outermost first),
/// then the target's entry; a move within a superstate runs neither of its actions.
#[test]
fn superstate_actions_run_on_crossing_their_border_in_order() {
    let hotel = Trip::new(Vec::new()).go().fly();
    assert_eq!(
        hotel.context(),
        &["go", "enter Away", "exit Airport", "fly", "enter Abroad", "enter Hotel, night 1"]
    );
    let TripBeachRestNext::Hotel(hotel) = hotel.swim().rest() else { panic!("the handler chose Hotel") };
    let hotel = hotel.rest();
    let back = hotel.r#return();
    assert_eq!(
        &back.context()[6..],
        [
            "swim",
            "rest",
            "enter Hotel, night 2",
            "rest in",
            "enter Hotel, night 3",
            "return",
            "exit Abroad",
            "exit Away"
        ]
    );
    let meta = TripAny::META;
    assert!(meta.superstates.iter().all(|s| s.entry && s.exit));
    assert!(TripAny::to_mermaid().contains("note left of Away: entry, exit"));
    assert!(TripAny::to_dot().contains("label=\"Abroad (entry, exit)\";"));
    assert!(meta.to_svg().contains("Away: Airport, Abroad (entry, exit action)"));
}

lifecycle! {
    /// A lamp whose initial state is in a superstate with actions.
    machine Lamp {
        context: Vec<&'static str>;
        initial: Dim;
        entry: [Lit];
        exit: [Lit];
        states { Dim, Bright, Off }
        events { Up, Down, Cut, Fix }
        superstates { Lit: [Dim, Bright] }
        transitions {
            Dim + Up => Bright,
            Bright + Down => Dim,
            Lit + Cut => Off,
            Off + Fix => Dim,
        }
    }
}

impl LampHandlers for Vec<&'static str> {
    fn dim_up(&mut self) {}
    fn bright_down(&mut self) {}
    fn dim_cut(&mut self) {}
    fn bright_cut(&mut self) {}
    fn off_fix(&mut self) {}
    fn on_enter_lit(&mut self) {
        self.push("enter Lit");
    }
    fn on_exit_lit(&mut self) {
        self.push("exit Lit");
    }
}

#[test]
fn new_enters_the_superstates_of_the_initial_state() {
    let lamp = Lamp::new(Vec::new());
    assert_eq!(lamp.context(), &["enter Lit"]);
    let lamp = lamp.up().down().up().cut().fix();
    assert_eq!(lamp.context(), &["enter Lit", "exit Lit", "enter Lit"]);
}

/// The same through `dispatch`.
#[test]
fn dispatch_runs_the_superstate_actions_too() {
    let mut trip = TripAny::from(Trip::new(Vec::new()));
    for event in [TripEvent::Go, TripEvent::Fly, TripEvent::Return] {
        trip.dispatch(event).expect("a row");
    }
    assert_eq!(
        trip.context(),
        &[
            "go",
            "enter Away",
            "exit Airport",
            "fly",
            "enter Abroad",
            "enter Hotel, night 1",
            "return",
            "exit Abroad",
            "exit Away"
        ]
    );
}
