import CZigRoute
import Dispatch

/// The Swift runtime's static libraries (libswiftCore and libswift_Concurrency call libstdc++'s
/// __throw_bad_array_new_length (GLIBCXX_3.4.29) and libgcc_s's _Unwind_Backtrace), then the C++ part from a detached
/// task: 43 when all of it links and loads.
@_cdecl("zig_route_fixture")
public func zigRouteFixture() -> Int32 {
    final class Box: @unchecked Sendable { var value: Int32 = 0 }
    let box = Box()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        box.value = czigroute_wait_for_thread()
        done.signal()
    }
    done.wait()
    return box.value
}
