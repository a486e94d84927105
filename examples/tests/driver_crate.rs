//! A real driver crate (tmp1x2) runs unchanged over an rtio iodev.
use rtio_examples::driver_crate;

#[test]
fn tmp1x2_driver_reads_and_configures_the_simulated_sensor() {
    let r = driver_crate::run(&[21.5, -3.25, 99.0]).unwrap();
    assert_eq!(r.readings, vec![21.5, -3.25, 99.0]);
    assert_eq!(r.t_high_register, 0x3200, "50 °C = 0x320 << 4");
    // Each read is one write+read transaction (one bus transfer), the threshold one write.
    assert_eq!(r.transfers, 4);
    assert_eq!(r.pool_free.0, r.pool_free.1);
}
