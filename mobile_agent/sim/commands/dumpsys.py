"""`dumpsys`: the window, activity, display, power, battery, input-method and package services."""

from __future__ import annotations

from mobile_agent.sim.commands.intents import focus_of, short_component
from mobile_agent.sim.commands.packages import apk_path
from mobile_agent.sim.commands.registry import Ctx, commands_of, register
from mobile_agent.sim.procs import app_pid, running_packages

__all__ = ["cmd_dumpsys"]


def cmd_dumpsys(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.print(
            "Currently running services:\n  activity\n  display\n  input_method\n  package\n  power\n  window"
        )
        return 0
    service, rest = args[0], args[1:]
    phone = ctx.phone
    if service == "window":
        pkg, act = focus_of(ctx)
        short = short_component(pkg, act)
        ime_shown = phone.keyboard_visible
        ctx.print("WINDOW MANAGER WINDOWS (dumpsys window windows)")
        ctx.print(f"  Window #0 Window{{a1b2c3d u0 {pkg}/{act}}}:")
        ctx.print(
            "    mDisplayId=0 rootTaskId=12 mSession=Session{7f3e2a1 4321:u0a10123} mClient=android.os.BinderProxy@5c1d2e3"
        )
        ctx.print(f"    mOwnerUid=10123 showForAllUsers=false package={pkg} appop=NONE")
        ctx.print(f"    mFrame=[0,0][{phone.width},{phone.height}]")
        ctx.print("")
        ctx.print(f"  mCurrentFocus=Window{{a1b2c3d u0 {pkg}/{act}}}")
        ctx.print(f"  mFocusedApp=ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        ctx.print(f"  mInputMethodWindow=Window{{4d5e6f7 u0 InputMethod}} isVisible={str(ime_shown).lower()}")
        ctx.print(f"  mDisplayFrames=DisplayFrames w={phone.width} h={phone.height} r=0")
        return 0
    if service == "activity":
        pkg, act = focus_of(ctx)
        short = short_component(pkg, act)
        what = rest[0] if rest else "activities"
        if what in ("top",):
            ctx.print("TASK 12 id=12 userId=0")
            ctx.print(f"  ACTIVITY {short} 5f6e7d8 pid={app_pid(pkg)}")
            return 0
        ctx.print("ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)")
        ctx.print("Display #0 (activities from top to bottom):")
        ctx.print("  * Task{12 #12 type=standard A=10123:" + pkg + " U=0 visible=true mode=fullscreen}")
        ctx.print(f"    * Hist  #0: ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        for i, other in enumerate(p for p in running_packages(phone) if p != pkg):
            ctx.print(f"  * Task{{{13 + i} #{13 + i} type=standard A=10124:{other} U=0 visible=false}}")
        ctx.print("")
        ctx.print(f"  ResumedActivity: ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        ctx.print(f"  mResumedActivity: ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        ctx.print(f"  mFocusedApp=ActivityRecord{{9e8d7c6 u0 {short} t12}}")
        return 0
    if service == "display":
        ctx.print("DISPLAY MANAGER (dumpsys display)")
        ctx.print(
            f"  mDefaultViewport=DisplayViewport{{type=INTERNAL, valid=true, isActive=true, displayId=0, "
            f"uniqueId='local:4619827259835644672', physicalPort=0, orientation=0, "
            f"logicalFrame=Rect(0, 0 - {phone.width}, {phone.height}), physicalFrame=Rect(0, 0 - {phone.width}, {phone.height}), "
            f"deviceWidth={phone.width}, deviceHeight={phone.height}}}"
        )
        ctx.print(
            f'  DisplayDeviceInfo{{"Built-in Screen": {phone.width} x {phone.height}, density {phone.density}, orientation=0}}'
        )
        return 0
    if service == "power":
        ctx.print("POWER MANAGER (dumpsys power)")
        ctx.print("  mWakefulness=Awake\n  mWakefulnessChanging=false\n  mIsPowered=true")
        ctx.print(
            "  mHoldingWakeLockSuspendBlocker=false\n  mHoldingDisplaySuspendBlocker=true\n  Display Power: state=ON"
        )
        return 0
    if service == "battery":
        ctx.print(
            "Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  Wireless powered: false"
        )
        ctx.print(
            "  Max charging current: 500000\n  Max charging voltage: 5000000\n  Charge counter: 3000000"
        )
        ctx.print(
            "  status: 2\n  health: 2\n  present: true\n  level: 85\n  scale: 100\n  voltage: 4200\n  temperature: 250\n  technology: Li-ion"
        )
        return 0
    if service == "input_method":
        ctx.print(f"  mCurMethodId={phone.current_ime}")
        shown = phone.keyboard_visible
        ctx.print(f"  mInputShown={str(shown).lower()}")
        return 0
    if service == "package":
        if rest and rest[0] in phone.packages():
            pkg = rest[0]
            ctx.print(
                f"Packages:\n  Package [{pkg}] (3f2e1d0):\n    userId=10123\n    pkg=Package{{3f2e1d0 {pkg}}}"
            )
            ctx.print(
                f"    codePath={apk_path(ctx, pkg).rsplit('/', 1)[0]}\n    versionCode=34 minSdk=28 targetSdk=34"
            )
            ctx.print("    versionName=14\n    flags=[ HAS_CODE ALLOW_CLEAR_USER_DATA ]")
        return 0
    if service == "SurfaceFlinger":
        ctx.print('Display 4619827259835644672 (HWC display 0): port=0 pnpId=GGL displayName="EMU_display_0"')
        return 0
    ctx.print(f"Can't find service: {service}")
    return 0


register(commands_of(globals()))
