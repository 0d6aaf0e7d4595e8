use proptest::prelude::*;

use super::*;
use crate::curing::builtin_recipe;

fn reading(at: i64, dry: f64) -> Reading {
    Reading {
        at: Timestamp(at),
        dry_bulb_c: dry,
        wet_bulb_c: dry - 2.0,
        dry_bulb_low_c: None,
        dry_bulb_set_c: Some(38.0),
        wet_bulb_set_c: Some(36.0),
        step: Some(1),
        heat_pump: HeatPump::Heating,
        heating_pct: 40,
        fan: Fan::Low,
        fan_current_pct: 98,
        vent_pct: 0,
        vent_cmd_pct: 0,
        mains_power: true,
        door_open: false,
    }
}

const NOW: Timestamp = Timestamp(1_790_000_000_000);

fn arb_reading() -> impl Strategy<Value = Reading> {
    (
        (EARLIEST.0..NOW.0, -60.0f64..200.0, -60.0f64..200.0),
        (
            proptest::option::of(-60.0f64..200.0),
            proptest::option::of(0.0f64..90.0),
            proptest::option::of(0.0f64..60.0),
            proptest::option::of(0u32..12),
        ),
        (
            0u8..4,
            0u8..3,
            0u8..=250,
            0u8..=100,
            0u8..=100,
            any::<bool>(),
            any::<bool>(),
        ),
        0u8..=100,
    )
        .prop_map(|((at, dry, wet), (low, dset, wset, step), flags, heat)| {
            let (hp, fan, current, vent, cmd, mains, door) = flags;
            Reading {
                at: Timestamp(at),
                dry_bulb_c: dry,
                wet_bulb_c: wet,
                dry_bulb_low_c: low,
                dry_bulb_set_c: dset,
                wet_bulb_set_c: wset,
                step,
                heat_pump: [
                    HeatPump::Off,
                    HeatPump::Heating,
                    HeatPump::Defrost,
                    HeatPump::Fault,
                ][usize::from(hp)],
                heating_pct: heat,
                fan: [Fan::Off, Fan::Low, Fan::High][usize::from(fan)],
                fan_current_pct: current,
                vent_pct: vent,
                vent_cmd_pct: cmd,
                mains_power: mains,
                door_open: door,
            }
            .quantised()
        })
}

proptest! {
    #[test]
    fn block_round_trips_quantised_readings(rs in proptest::collection::vec(arb_reading(), 0..200)) {
        let block = ReadingBlock::encode(BarnId(7), &rs);
        let json = serde_json::to_string(&block).unwrap();
        let back: ReadingBlock = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.decode().unwrap(), rs);
    }

    #[test]
    fn valid_readings_pass_validation(r in arb_reading()) {
        prop_assert_eq!(validate_reading(&r, NOW), Ok(()));
    }

    #[test]
    fn decoding_garbage_blocks_never_panics(
        at in proptest::collection::vec(any::<i64>(), 0..20),
        dry in proptest::collection::vec(any::<i32>(), 0..20),
        flags in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let n = at.len();
        let block = ReadingBlock {
            barn_id: BarnId(1),
            at_ms: at,
            dry_dc: dry.clone(),
            wet_dc: dry,
            dry_low_dc: vec![None; n],
            dry_set_dc: vec![None; n],
            wet_set_dc: vec![None; n],
            step: vec![None; n],
            heating_pct: vec![0; n],
            fan_current_pct: vec![0; n],
            vent_pct: vec![0; n],
            vent_cmd_pct: vec![0; n],
            flags,
        };
        let _ = block.decode();
    }
}

#[test]
fn ragged_block_names_the_column() {
    let mut block = ReadingBlock::encode(
        BarnId(3),
        &[reading(NOW.0, 38.0), reading(NOW.0 + 60_000, 38.1)],
    );
    block.vent_pct.pop();
    assert_eq!(
        block.decode(),
        Err(BlockError::Ragged {
            barn: BarnId(3),
            column: "vent_pct",
            got: 1,
            expected: 2
        })
    );
}

#[test]
fn unknown_flag_bits_are_refused() {
    let mut block = ReadingBlock::encode(BarnId(3), &[reading(NOW.0, 38.0)]);
    block.flags[0] |= 0b1100_0000;
    assert!(matches!(
        block.decode(),
        Err(BlockError::Overflow {
            column: "flags",
            ..
        })
    ));
}

#[test]
fn a_barn_day_is_small_once_compressed_as_columns() {
    // 1 440 one-minute readings drifting slowly, as a real yellowing day does.
    let rs: Vec<Reading> = (0..1440)
        .map(|i| reading(NOW.0 + i * 60_000, 35.0 + (i as f64 / 240.0).floor() * 0.5).quantised())
        .collect();
    let columns = serde_json::to_vec(&ReadingBlock::encode(BarnId(1), &rs)).unwrap();
    let rows = serde_json::to_vec(&rs).unwrap();
    // The columns alone are already several times smaller than rows; compression (measured in
    // the server's sync tests) does the rest.
    assert!(
        columns.len() * 4 < rows.len(),
        "{} vs {}",
        columns.len(),
        rows.len()
    );
}

#[test]
fn validation_rejects_what_no_sensor_can_read() {
    let mut r = reading(NOW.0, f64::NAN);
    assert_eq!(
        validate_reading(&r, NOW),
        Err(RejectReason::NotFinite {
            field: "dry_bulb_c".into()
        })
    );
    r.dry_bulb_c = -300.0;
    assert!(matches!(
        validate_reading(&r, NOW),
        Err(RejectReason::OutOfRange { .. })
    ));
    r.dry_bulb_c = 40.0;
    r.wet_bulb_c = 38.0;
    r.wet_bulb_set_c = Some(f64::INFINITY);
    assert!(matches!(
        validate_reading(&r, NOW),
        Err(RejectReason::NotFinite { .. })
    ));
    r.wet_bulb_set_c = None;
    r.vent_pct = 101;
    assert!(matches!(
        validate_reading(&r, NOW),
        Err(RejectReason::OutOfRange { .. })
    ));
    r.vent_pct = 100;
    r.at = Timestamp(NOW.0 + MAX_FUTURE_MS + 1);
    assert!(matches!(
        validate_reading(&r, NOW),
        Err(RejectReason::InFuture { .. })
    ));
    r.at = Timestamp(946_684_800_000);
    assert!(matches!(
        validate_reading(&r, NOW),
        Err(RejectReason::TooOld { .. })
    ));
    // A sensor stuck at its rail is evidence for the alarm engine, not garbage.
    r.at = NOW;
    r.dry_bulb_c = 120.0;
    assert_eq!(validate_reading(&r, NOW), Ok(()));
}

#[test]
fn a_curing_with_an_invalid_recipe_is_refused_on_decode() {
    let curing = Curing {
        id: CuringId(1),
        barn_id: BarnId(1),
        recipe: WireRecipe(builtin_recipe("middle").unwrap()),
        position: LeafPosition::Middle,
        maturity: Maturity::Ripe,
        water: WaterContent::Normal,
        started_at: NOW,
        ambient_c: 25.0,
        current_step: 0,
        advances: vec![],
        finished_at: None,
        updated_at: NOW,
    };
    let json = serde_json::to_string(&curing).unwrap();
    let back: Curing = serde_json::from_str(&json).unwrap();
    assert_eq!(back, curing);
    let broken = json.replace("\"dry_bulb_c\":35.0", "\"dry_bulb_c\":-35.0");
    assert_ne!(broken, json);
    assert!(serde_json::from_str::<Curing>(&broken).is_err());
}

#[test]
fn session_debug_hides_the_token() {
    let s = Session {
        token: "secret-token-value".into(),
        expires_at: NOW,
        user: User {
            id: UserId(1),
            phone: "13800000000".into(),
            name: "王".into(),
            role: Role::Farmer,
        },
    };
    assert!(!format!("{s:?}").contains("secret-token-value"));
}
