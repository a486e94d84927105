//! Example 3: the stream delivers contiguous, decodable buffers and gives every block back.
use rtio::Error;
use rtio_examples::streaming::{self, Fir};

#[test]
fn imu_stream_decodes_filters_and_returns_every_buffer() {
    let r = streaming::run(20, true).unwrap();
    assert!(r.buffers >= 20, "{} buffers", r.buffers);
    assert!(r.samples >= 20 * 16);
    assert!(r.seq_contiguous);
    assert!(r.time_monotonic);
    // A still, flat IMU: the filtered vertical acceleration is 1 g, no rotation.
    assert!(
        (r.az_filtered - streaming::G).abs() < 0.01,
        "{}",
        r.az_filtered
    );
    assert_eq!(r.gyro_z_peak, 0.0);
    assert_eq!(r.final_result, Err(Error::Canceled));
    assert_eq!(r.pool_free.0, r.pool_free.1, "every pool block returned");
    // A 160 ms FIFO does not overflow unless the host starves the reader; if it did, the
    // drop is reported by the device and flagged in the next buffer's header.
    if r.overrun_flags > 0 {
        assert!(r.overruns > 0, "{r:?}");
    }
}

#[test]
fn fir_moving_average_settles_on_a_constant() {
    let mut f = Fir::<4>::moving_average();
    let out: Vec<f32> = (0..6).map(|_| f.push(2.0)).collect();
    assert_eq!(out, vec![0.5, 1.0, 1.5, 2.0, 2.0, 2.0]);
}
