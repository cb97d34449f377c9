//! The stock wasmtime-wasi functions the wrappers call, declared once: the [`Stock`] handles,
//! the shim module that reaches them, and attaching it to a guest.
//!
//! The stock functions find guest memory through their caller's `memory` export, which a
//! host function calling them directly does not have; called through the shim (a tiny
//! module that imports the guest's memory and the stock functions and re-exports both),
//! their caller is the shim, which exports the guest's memory.

use wasmtime::{Instance, Linker, Store, TypedFunc};

use super::super::host::Host;
use super::P1;

macro_rules! stock_functions {
    ($($name:ident($($param:ident),*);)*) => {
        /// Handles on the stock functions, reachable once the guest is instantiated.
        #[derive(Clone)]
        pub struct Stock {
            $(pub $name: TypedFunc<($($param,)*), i32>,)*
        }

        /// Each stock function's name and parameter types, as the shim declares them.
        const SIGNATURES: &[(&str, &[&str])] = &[
            $((stringify!($name), &[$(stringify!($param)),*]),)*
        ];

        impl Stock {
            fn from_shim(instance: &Instance, store: &mut Store<Host>) -> wasmtime::Result<Stock> {
                Ok(Stock {
                    $($name: instance.get_typed_func(&mut *store, stringify!($name))?,)*
                })
            }
        }
    };
}

stock_functions! {
    fd_readdir(i32, i32, i32, i64, i32);
    fd_filestat_get(i32, i32);
    fd_fdstat_get(i32, i32);
    fd_tell(i32, i32);
    fd_write(i32, i32, i32, i32);
    fd_pwrite(i32, i32, i32, i64, i32);
    fd_allocate(i32, i64, i64);
    fd_filestat_set_size(i32, i64);
    fd_close(i32);
    fd_renumber(i32, i32);
    path_open(i32, i32, i32, i32, i32, i64, i64, i32, i32);
    path_filestat_get(i32, i32, i32, i32, i32);
    path_create_directory(i32, i32, i32);
    path_symlink(i32, i32, i32, i32, i32);
    path_filestat_set_times(i32, i32, i32, i32, i64, i64, i32);
    path_readlink(i32, i32, i32, i32, i32, i32);
    path_remove_directory(i32, i32, i32);
    path_unlink_file(i32, i32, i32);
    path_rename(i32, i32, i32, i32, i32, i32);
}

/// The shim's text: imports the guest's memory and every stock function, exports both.
pub fn shim_wat() -> String {
    let mut wat = String::from(
        "(module\n  (import \"guest\" \"memory\" (memory 0))\n  (export \"memory\" (memory 0))\n",
    );
    for (name, params) in SIGNATURES {
        let params = params.join(" ");
        wat.push_str(&format!(
            "  (import \"{P1}\" \"{name}\" (func ${name} (param {params}) (result i32)))\n"
        ));
    }
    for (name, params) in SIGNATURES {
        let gets: String = (0..params.len())
            .map(|i| format!(" local.get {i}"))
            .collect();
        let params = params.join(" ");
        wat.push_str(&format!(
            "  (func (export \"{name}\") (param {params}) (result i32){gets} call ${name})\n"
        ));
    }
    wat.push(')');
    wat
}

/// Instantiates the shim against the guest's memory and keeps its functions in the store,
/// so the wrappers can reach the stock functions. A guest without an exported memory gets
/// none (its WASI calls fail anyway).
pub fn attach(
    shim: &wasmtime::Module,
    stock_linker: &Linker<Host>,
    store: &mut Store<Host>,
    guest: Instance,
) -> wasmtime::Result<()> {
    let Some(memory) = guest.get_memory(&mut *store, "memory") else {
        return Ok(());
    };
    let mut imports: Vec<wasmtime::Extern> = vec![memory.into()];
    for (name, _) in SIGNATURES {
        let func = stock_linker
            .get(&mut *store, P1, name)
            .ok()
            .ok_or_else(|| wasmtime::format_err!("wasmtime-wasi defines no {name}"))?;
        imports.push(func);
    }
    let instance = Instance::new(&mut *store, shim, &imports)?;
    let stock = Stock::from_shim(&instance, store)?;
    store.data_mut().stock = Some(stock);
    Ok(())
}
