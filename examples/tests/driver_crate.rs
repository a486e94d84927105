//! Real driver crates (tmp1x2 async, eeprom24x blocking) run unchanged over rtio iodevs.
use rtio_examples::driver_crate;

#[test]
fn tmp1x2_driver_reads_and_configures_the_simulated_sensor() {
    let r = driver_crate::run(&[21.5, -3.25, 99.0]).unwrap();
    assert_eq!(r.readings, vec![21.5, -3.25, 99.0]);
    assert_eq!(r.t_high_register, 0x3200, "50 °C = 0x320 << 4");
    // Each read is one write+read transaction (one bus transfer), the threshold one write.
    assert_eq!(r.transfers, 4);
    // eeprom24x: the page came back, after the part NACKed through its write cycle.
    let page: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(7)).collect();
    assert_eq!(r.page_read_back, page);
    assert!(
        r.busy_polls > 0,
        "the write cycle was visible to the driver as NACKs"
    );
    assert_eq!(r.pool_free.0, r.pool_free.1);
}
