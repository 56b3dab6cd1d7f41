import GatewayProtocol

/// The default `templates` section: the old server's helper texts in Korean (FitMate's language), with English. The old
/// design document lost its emoji to a broken encoding; the ones here are chosen to match the intent. A deployment
/// overrides or adds any template or locale under `modules.notifications.templates` without touching code.
enum DefaultTemplates {
    static let section: JSONObject = [
        "workout_completed": [
            "ko": ["title": "운동 완료! 🎉",
                   "message": "{exerciseName} 운동을 완료했습니다. 총 {duration}분 동안 {calories}칼로리를 소모했어요!"],
            "en": ["title": "Workout complete! 🎉",
                   "message": "You finished {exerciseName}: {duration} minutes, {calories} calories burned!"],
        ],
        "goal_achieved": [
            "ko": ["title": "목표 달성! 🏆", "message": "{goalName} 목표를 달성했습니다! 축하드려요!"],
            "en": ["title": "Goal achieved! 🏆", "message": "You reached your goal: {goalName}. Congratulations!"],
        ],
        "workout_reminder": [
            "ko": ["title": "운동 시간이에요! 💪", "message": "오늘의 운동을 시작해보세요. 건강한 하루를 만들어가요!"],
            "en": ["title": "Time to work out! 💪", "message": "Start today's workout and make it a healthy day!"],
        ],
        "weekly_report": [
            "ko": ["title": "주간 운동 리포트 📊", "message": "이번 주 {workoutDays}일 운동했어요! 총 {totalCalories}칼로리 소모!"],
            "en": ["title": "Your weekly report 📊",
                   "message": "You worked out on {workoutDays} days this week and burned {totalCalories} calories!"],
        ],
        // For a week without workouts: encouragement instead of a report of zeros.
        "weekly_report_no_workouts": [
            "ko": ["title": "주간 운동 리포트 📊", "message": "이번 주는 운동 기록이 없어요. 다음 주에 다시 시작해봐요! 💪"],
            "en": ["title": "Your weekly report 📊", "message": "No workouts this week. Let's get moving again next week! 💪"],
        ],
    ]
}
