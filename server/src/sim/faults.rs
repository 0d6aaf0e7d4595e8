//! Faults a barn can suffer, each with the physical signature the alarm rules of
//! curing-domain.md §3 look for.

/// A fault injected into a simulated barn. Injecting a fault of a kind already active replaces
/// it (e.g. a vent stuck at another opening).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// Mains lost: heat pump and circulation fan stop, dampers stay where they are; the
    /// controller runs on its UPS and reports `mains_power = false` (A09).
    PowerLoss,
    /// Circulation fan motor stopped while commanded on: no current, heat stays near the heat
    /// pump, the tiers drift apart (A10, A19).
    FanStop,
    /// The dry-bulb sensor reads a frozen value (A11 frozen); the controller follows it.
    SensorStuck { at_c: f64 },
    /// Dry-bulb sensor open circuit: reads the low rail, −40 °C (A11); the controller stops
    /// heating as a safe state.
    SensorOpen,
    /// Dry-bulb sensor short circuit: reads the high rail, 120 °C (A11); heating stops.
    SensorShort,
    /// The wet-bulb wick ran dry: the wet bulb creeps up to just under the dry bulb (A12), the
    /// controller sees saturated air and opens the vents.
    DryWick,
    /// Compressor trip: the heat pump reports `Fault` and gives no heat (A17).
    HeatPumpFault,
    /// The dehumidifying vent is jammed at `at_pct` whatever it is commanded (A18).
    VentStuck { at_pct: u8 },
    /// The door is open: outside air floods in, humidity and temperature drop (A16).
    DoorOpen,
    /// The controller's telemetry stops (A13); the barn itself keeps curing.
    ControllerSilent,
}

/// The kind of a [`Fault`], without its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    PowerLoss,
    FanStop,
    SensorStuck,
    SensorOpen,
    SensorShort,
    DryWick,
    HeatPumpFault,
    VentStuck,
    DoorOpen,
    ControllerSilent,
}

impl Fault {
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::PowerLoss => FaultKind::PowerLoss,
            Fault::FanStop => FaultKind::FanStop,
            Fault::SensorStuck { .. } => FaultKind::SensorStuck,
            Fault::SensorOpen => FaultKind::SensorOpen,
            Fault::SensorShort => FaultKind::SensorShort,
            Fault::DryWick => FaultKind::DryWick,
            Fault::HeatPumpFault => FaultKind::HeatPumpFault,
            Fault::VentStuck { .. } => FaultKind::VentStuck,
            Fault::DoorOpen => FaultKind::DoorOpen,
            Fault::ControllerSilent => FaultKind::ControllerSilent,
        }
    }
}

/// The active faults, as flags the model reads every sub-step.
#[derive(Debug, Clone, Default)]
pub(crate) struct Faults {
    active: Vec<Fault>,
}

impl Faults {
    pub fn inject(&mut self, fault: Fault) {
        self.clear(fault.kind());
        self.active.push(fault);
    }

    pub fn clear(&mut self, kind: FaultKind) {
        self.active.retain(|f| f.kind() != kind);
    }

    pub fn list(&self) -> Vec<Fault> {
        self.active.clone()
    }

    pub fn has(&self, kind: FaultKind) -> bool {
        self.active.iter().any(|f| f.kind() == kind)
    }

    pub fn mains(&self) -> bool {
        !self.has(FaultKind::PowerLoss)
    }

    pub fn vent_stuck(&self) -> Option<f64> {
        self.active.iter().find_map(|f| match f {
            Fault::VentStuck { at_pct } => Some(f64::from(*at_pct).min(100.0) / 100.0),
            _ => None,
        })
    }

    /// What a failed dry-bulb sensor reads instead of the air, if it has failed.
    pub fn dry_bulb_override(&self) -> Option<f64> {
        if self.has(FaultKind::SensorOpen) {
            return Some(-40.0);
        }
        if self.has(FaultKind::SensorShort) {
            return Some(120.0);
        }
        self.active.iter().find_map(|f| match f {
            Fault::SensorStuck { at_c } => Some(*at_c),
            _ => None,
        })
    }
}
