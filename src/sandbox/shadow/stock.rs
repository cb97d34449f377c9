//! The stock wasmtime-wasi functions the wrappers call, declared once: the [`Stock`] handles
//! and the shim module that reaches them. Knows nothing of the store's data, so the host
//! state can hold the handles.
//!
//! The stock functions find guest memory through their caller's `memory` export, which a
//! host function calling them directly does not have; called through the shim (a tiny
//! module that imports the guest's memory and the stock functions and re-exports both),
//! their caller is the shim, which exports the guest's memory.

use wasmtime::{Instance, Store, TypedFunc};

use super::P1;

macro_rules! stock_functions {
    ($($name:ident($($param:ident),*);)*) => {
        /// Handles on the stock functions, reachable once the guest is instantiated.
        #[derive(Clone)]
        pub struct Stock {
            $(pub $name: TypedFunc<($($param,)*), i32>,)*
        }

        /// Each stock function's name and parameter types, as the shim declares them.
        pub(super) const SIGNATURES: &[(&str, &[&str])] = &[
            $((stringify!($name), &[$(stringify!($param)),*]),)*
        ];

        impl Stock {
            pub(super) fn from_shim<T>(instance: &Instance, store: &mut Store<T>) -> wasmtime::Result<Stock> {
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
