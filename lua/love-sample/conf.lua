-- LÖVE configuration of the stdb-client sample (LÖVE 11.x).
function love.conf(t)
    t.identity = "stdb-love-sample"
    t.version = "11.4"
    t.window.title = "stdb-client: LÖVE sample (quickstart module)"
    t.window.width = 800
    t.window.height = 600
    t.window.vsync = 1
    -- No sound in this sample (and none under Xvfb).
    t.modules.audio = false
    t.modules.sound = false
    t.modules.joystick = false
    t.modules.physics = false
    t.modules.video = false
end
