//! Example 8: exactly which completions arrive under faults, and every buffer comes back.
use rtio::Error;
use rtio_examples::faults::{self, Back};

#[test]
fn faults_give_exact_completions_and_every_buffer_back() {
    let r = faults::run().unwrap();
    assert_eq!(
        r.nack_chain,
        vec![
            (1, Ok(1), Back::None, false),
            (2, Err(Error::Nack), Back::Mut(2), false),
            (3, Err(Error::Canceled), Back::Mut(2), false),
        ]
    );
    assert_eq!(
        r.nack_bus,
        vec![(0x48, 1, Ok(1)), (0x48, 2, Err(Error::Nack))],
        "the cancelled entry never reached the bus"
    );
    assert_eq!(
        r.hang,
        vec![
            (4, Err(Error::TimedOut), Back::Mut(4), false),
            (5, Err(Error::TimedOut), Back::None, false),
        ]
    );
    assert!(r.hang_resolved_after >= std::time::Duration::from_millis(20));
    assert_eq!(r.after_hang, vec![(6, Ok(4), Back::Mut(4), false)]);
    let (last, shots) = r.stream.split_last().unwrap();
    assert!(shots.len() >= 3);
    for s in shots {
        assert_eq!(s.0, 7);
        assert!(s.3, "every shot but the last says more");
        assert!(
            matches!(s.2, Back::Pool(n) if n > 16)
                && s.1
                    == Ok(match s.2 {
                        Back::Pool(n) => n,
                        _ => 0,
                    })
        );
    }
    assert_eq!(*last, (7, Err(Error::Canceled), Back::None, false));
    assert_eq!(r.pool_free.0, r.pool_free.1);
    assert!(r.full_sq_acquired);
}
