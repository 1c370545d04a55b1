// Only for native tests of package wasmgate (`./test.sh`): builds copy the
// SDK into a module named wit_component next to the generated bindings, so
// the SDK's import path is wit_component/wasmgate there and here.
module wit_component

go 1.27
