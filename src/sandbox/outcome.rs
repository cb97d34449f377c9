//! How a run ends: calling its entry point, and the verdict read from how that call ended.

use wasmtime::{Store, Trap};
use wasmtime_wasi::I32Exit;

use super::capture::Capture;
use super::host::Host;
use super::settings::{Refusal, one_line};
use super::{Entry, turn};
use crate::record::Verdict;

pub(super) enum End {
    Returned(i32),
    Failed(wasmtime::Error),
    Refused(Refusal),
}

pub(super) fn call_entry(
    store: &mut Store<Host>,
    instance: wasmtime::Instance,
    entry: &Entry,
) -> End {
    let has = |store: &mut Store<Host>, name: &str| instance.get_func(&mut *store, name).is_some();
    let entry = match entry {
        Entry::Command if !has(store, "_start") && has(store, "run") => &Entry::Run,
        other => other,
    };
    let result = match entry {
        Entry::Command => match instance.get_typed_func::<(), ()>(&mut *store, "_start") {
            Ok(start) => start.call(&mut *store, ()).map(|()| 0),
            Err(e) => {
                return refusal_end(
                    Verdict::InvalidModule,
                    format!("the module has no usable `_start` export: {e}"),
                );
            }
        },
        Entry::Run => {
            if let Ok(init) = instance.get_typed_func::<(), ()>(&mut *store, "_initialize")
                && let Err(e) = init.call(&mut *store, ())
            {
                return End::Failed(e);
            }
            match instance.get_typed_func::<(), i32>(&mut *store, "run") {
                Ok(run) => run.call(&mut *store, ()),
                Err(e) => {
                    return refusal_end(
                        Verdict::InvalidModule,
                        format!("the module has no usable `run` export: {e}"),
                    );
                }
            }
        }
        Entry::Turn(source) => turn(store, instance, source),
    };
    match result {
        Ok(code) => End::Returned(code),
        Err(e) => End::Failed(e),
    }
}

fn refusal_end(verdict: Verdict, message: String) -> End {
    End::Refused(Refusal { verdict, message })
}

pub(super) fn classify(
    end: End,
    host: &Host,
    stdout: &Capture,
) -> (Verdict, Option<i32>, Option<String>, String) {
    let error = match end {
        End::Refused(refusal) => return (refusal.verdict, None, None, refusal.message),
        End::Returned(0) => return (Verdict::Ok, Some(0), None, "exited with code 0".into()),
        End::Returned(code) => {
            return (
                Verdict::Exit,
                Some(code),
                None,
                format!("exited with code {code}"),
            );
        }
        End::Failed(error) => error,
    };
    if let Some(denial) = &host.denial {
        return (denial.verdict(), None, None, denial.message().to_string());
    }
    if let Some(message) = &host.limiter.denial {
        return (Verdict::MemoryLimit, None, None, message.clone());
    }
    if stdout.stopped() {
        let message = format!("stdout went past its cap of {} bytes", stdout.cap());
        return (Verdict::OutputLimit, None, None, message);
    }
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return match exit.0 {
            0 => (Verdict::Ok, Some(0), None, "exited with code 0".into()),
            code => (
                Verdict::Exit,
                Some(code),
                None,
                format!("exited with code {code}"),
            ),
        };
    }
    if let Some(trap) = error.downcast_ref::<Trap>() {
        return match trap {
            Trap::OutOfFuel => (
                Verdict::FuelLimit,
                None,
                None,
                "the fuel budget was used up".into(),
            ),
            Trap::Interrupt => (
                Verdict::TimeLimit,
                None,
                None,
                "the wall-clock limit was reached".into(),
            ),
            other => {
                let name = trap_name(*other);
                (
                    Verdict::Trap,
                    None,
                    Some(name.clone()),
                    format!("trap: {name} ({other})"),
                )
            }
        };
    }
    // Wasmtime reports an exception that no handler caught as an error, not as a trap.
    if error.downcast_ref::<wasmtime::ThrownException>().is_some() {
        let name = trap_name(Trap::UnhandledTag);
        let message = format!("trap: {name} (a wasm exception was thrown and never caught)");
        return (Verdict::Trap, None, Some(name), message);
    }
    // An error raised by a host function on the guest's behalf (bad pointers and the like).
    let message = one_line(&error);
    (
        Verdict::Trap,
        None,
        Some("host_error".into()),
        format!("trap: host_error ({message})"),
    )
}

/// The snake_case name of a trap, as it appears in the record's `trap` field.
fn trap_name(trap: Trap) -> String {
    let name = match trap {
        Trap::StackOverflow => "stack_overflow",
        Trap::MemoryOutOfBounds => "memory_out_of_bounds",
        Trap::HeapMisaligned => "heap_misaligned",
        Trap::TableOutOfBounds => "table_out_of_bounds",
        Trap::IndirectCallToNull => "indirect_call_to_null",
        Trap::BadSignature => "bad_signature",
        Trap::IntegerOverflow => "integer_overflow",
        Trap::IntegerDivisionByZero => "integer_divide_by_zero",
        Trap::BadConversionToInteger => "bad_conversion_to_integer",
        Trap::UnreachableCodeReached => "unreachable",
        Trap::NullReference => "null_reference",
        Trap::ArrayOutOfBounds => "array_out_of_bounds",
        Trap::AllocationTooLarge => "allocation_too_large",
        Trap::CastFailure => "cast_failure",
        Trap::UnhandledTag => "unhandled_exception",
        other => return format!("{other:?}").to_lowercase(),
    };
    name.to_string()
}
